import { UserError } from "../errors.js";
import { diagnose } from "../services/doctor-service.js";
import { commandContext, openMigrated, print, printJson, type GlobalOptions } from "./context.js";

/** `secretaria doctor`: each problem of the setup with its fix; exit 1 when there is any. */
export async function runDoctor(o: GlobalOptions & { online?: boolean; json?: boolean }): Promise<void> {
  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  let count = 0;
  try {
    const problems = await diagnose(db, { dbPath: ctx.dbPath, env: process.env, online: !!o.online, timeoutMs: 5000 });
    count = problems.length;
    if (o.json) printJson({ ok: !count, problems });
    else if (!count) print(`no problems found${o.online ? "" : " (add --online to also try each Whaticket server)"}`);
    else for (const p of problems) print(`✗ ${p.problem}\n  fix: ${p.fix}`);
  } finally {
    await db.close();
  }
  if (count) throw new UserError(`doctor found ${count} problem${count === 1 ? "" : "s"} (listed above)`);
}
