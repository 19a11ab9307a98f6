import { UserError } from "../errors.js";
import { getDaemonState } from "../store/daemons.js";
import { dropPostgresTables, postgresDemoContents } from "../store/demo-database.js";
import { openStore } from "../store/open.js";

/*
 * The only databases `secretaria demo` writes: a new one, or an earlier demo's (marked demo=1 in
 * daemon_state), made anew; never anything else.
 */

/**
 * A PostgreSQL --db must be empty, or hold an earlier demo (its tables are dropped and made anew);
 * any other database is refused.
 */
export async function clearPostgresDemo(url: string): Promise<void> {
  const store = await openStore(url);
  try {
    const contents = await postgresDemoContents(store);
    if (contents === "other") {
      throw new UserError(`${store.location} is not empty and not a demo database: the demo only writes an empty database; pass another --db URL`);
    }
    if (contents === "demo") await dropPostgresTables(store);
  } finally {
    await store.close();
  }
}

export async function isDemoDatabase(path: string): Promise<boolean> {
  try {
    const db = await openStore(path, { readonly: true });
    try {
      return (await getDaemonState(db)).demo === "1";
    } finally {
      await db.close();
    }
  } catch {
    return false;
  }
}
