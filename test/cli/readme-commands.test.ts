import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, runCli, tempDir } from "../helpers/cli.js";

/**
 * Issue 18: the README's commands work as written — every `secretaria …` line names a real
 * command and only options that command takes (checked against the completion tables, which are
 * generated from the CLI itself), and the first daily command works on a fresh database.
 */
function readmeCommands(): string[] {
  const lines = readFileSync(join(REPO_ROOT, "README.md"), "utf8").split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (!line.startsWith("secretaria ")) continue;
    while (line.endsWith("\\") && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    out.push(line);
  }
  return out;
}

/** Shell words, quotes removed; stops at a comment or a redirection; [optional] brackets dropped. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'[^']*'|"[^"]*"|[^\s'"]+/g)) {
    const w = m[0];
    if (w.startsWith("#") || w === ">") break;
    out.push(w.replace(/^['"]|['"]$/g, "").replace(/^\[|\]$/g, ""));
  }
  return out.slice(1);
}

test("every `secretaria …` line of the README is a real command with options it takes", async () => {
  const dir = tempDir();
  const script = join(dir, "c.bash");
  writeFileSync(script, (await runCli(["completion", "bash"])).stdout);
  const commands = readmeCommands();
  assert.ok(commands.length >= 25, `${commands.length} commands found`);
  for (const line of commands) {
    const w = words(line);
    // The same walk as the completion script: subcommands extend the path, an option's value is skipped.
    const check = `source '${script}'
path=""; skip=0
for w in "$@"; do
  if ((skip)); then skip=0; continue; fi
  if [[ $w == -* ]]; then
    _secretaria_opts "$path" | grep -qxF -- "\${w%%=*}" || echo "unknown option $w for '$path'"
    if [[ $w != *=* ]] && _secretaria_valued "$path" | grep -qxF -- "$w"; then skip=1; fi
    continue
  fi
  if _secretaria_subs "$path" | grep -qxF -- "$w"; then path="\${path:+$path }$w"; fi
done
[[ -n $(_secretaria_subs "$path") ]] && echo "'$path' needs a subcommand"
[[ -z $path ]] && echo "no command"
true`;
    const problems = execFileSync("bash", ["-c", check, "check", ...w], { encoding: "utf8" }).trim();
    assert.equal(problems, "", line);
  }
});

test("the daily commands' first steps work as written on a fresh database", async () => {
  const db = join(tempDir(), "secretaria.db");
  const env = { SECRETARIA_DB: db };
  assert.equal((await runCli(["migrate"], { env })).code, 0);
  const add = await runCli(["companies", "add", "--id", "clinica-sol", "--name", "Clínica Sol", "--whaticket-url", "https://wt.clinicasol.com.br", "--whaticket-token", "t".repeat(32)], { env });
  assert.equal(add.code, 0, add.stderr);
  for (const args of [["followups", "list", "--status", "pending"], ["stats"], ["status"], ["replies", "list", "--unmatched"], ["reply", "classify", "não vejo a hora de marcar"]]) {
    const r = await runCli(args, { env });
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  }
});
