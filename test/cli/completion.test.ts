import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "../helpers/cli.js";

/** Issue 18: `secretaria completion bash|zsh|fish`, generated from the commander program. */
const has = (shell: string) => spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0;

describe("secretaria completion", () => {
  const scripts: Record<string, string> = {};
  let dir = "";
  let topCommands: string[] = [];
  before(async () => {
    dir = tempDir();
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = await runCli(["completion", shell]);
      assert.equal(r.code, 0, r.stderr);
      scripts[shell] = r.stdout;
      writeFileSync(join(dir, `c.${shell}`), r.stdout);
    }
    const help = (await runCli(["--help"])).stdout;
    const commands = help.slice(help.indexOf("\nCommands:"));
    topCommands = [...commands.matchAll(/^ {2}([a-z-]+)\b/gm)].map((m) => m[1]!).filter((c) => c !== "help");
    assert.ok(topCommands.length > 10);
  });

  /** What bash offers after the words typed (the last one being completed). */
  const complete = (...words: string[]) => {
    const script = join(dir, "c.bash");
    const quoted = words.map((w) => `'${w}'`).join(" ");
    const out = execFileSync("bash", ["-c", `source '${script}'; COMP_WORDS=(secretaria ${quoted}); COMP_CWORD=${words.length}; cd '${dir}'; _secretaria; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: "utf8" });
    return out.split("\n").filter(Boolean).sort();
  };

  test("bash: valid syntax (bash -n), and it completes commands, subcommands, options, choices", { skip: has("bash") ? false : "bash is not installed" }, () => {
    execFileSync("bash", ["-n", join(dir, "c.bash")]);
    assert.deepEqual(complete(""), [...topCommands].sort(), "every top-level command of --help");
    assert.deepEqual(complete("fo"), ["followups"]);
    assert.deepEqual(complete("followups", ""), ["list", "resend", "set-response", "show"]);
    assert.deepEqual(complete("followups", "list", "--fo"), ["--format"]);
    assert.ok(complete("followups", "list", "--").includes("--all"));
    assert.ok(complete("followups", "list", "--").includes("--db"), "the global --db everywhere");
    assert.deepEqual(complete("daemon", "--log-format", ""), ["json", "text"]);
    assert.deepEqual(complete("--db", "x.db", "companies", "l"), ["list"], "an option's value is not a command");
    assert.deepEqual(complete("contacts", "--company", "audit", "o"), ["optin", "optout"], "nor when it looks like one");
    assert.deepEqual(complete("completion", ""), ["bash", "fish", "zsh"]);
  });

  /** The same cases for every shell: words typed → what is offered. */
  const CASES: [string[], string[]][] = [
    [["fo"], ["followups"]],
    [["followups", ""], ["list", "resend", "set-response", "show"]],
    [["followups", "list", "--fo"], ["--format"]],
    [["daemon", "--log-format", ""], ["json", "text"]],
    [["--db", "x.db", "companies", "l"], ["list"]],
    [["contacts", "--company", "audit", "o"], ["optin", "optout"]],
    [["completion", ""], ["bash", "fish", "zsh"]],
  ];

  test("zsh: valid syntax (zsh -n); the same completions (zsh's completion builtins stubbed to print)", { skip: has("zsh") ? false : "zsh is not installed on this machine" }, () => {
    execFileSync("zsh", ["-n", join(dir, "c.zsh")]);
    const harness = join(dir, "harness.zsh");
    writeFileSync(harness, `compdef() { : }
_describe() { shift 3; local -a arr; arr=("\${(@P)1}"); print -l -- \${arr%%:*} }
compadd() { [[ $1 == -a ]] && print -l -- "\${(@P)2}" }
_files() { print -- "<files>" }
source '${join(dir, "c.zsh")}'
words=(secretaria "$@"); CURRENT=\${#words}; PREFIX=\${words[-1]}
_secretaria | grep -- "^\${PREFIX}"
`);
    for (const [typed, want] of CASES) {
      const out = execFileSync("zsh", [harness, ...typed], { encoding: "utf8" });
      assert.deepEqual(out.split("\n").filter(Boolean).sort(), want, typed.join(" "));
    }
  });

  test("fish: valid syntax (fish --no-execute); the same completions (complete -C)", { skip: has("fish") ? false : "fish is not installed on this machine" }, () => {
    execFileSync("fish", ["--no-execute", join(dir, "c.fish")]);
    for (const [typed, want] of CASES) {
      const line = ["secretaria", ...typed].join(" ");
      const out = execFileSync("fish", ["-c", `source '${join(dir, "c.fish")}'; complete -C '${line}'`], { encoding: "utf8" });
      assert.deepEqual(out.split("\n").filter(Boolean).map((l) => l.split("\t")[0]).sort(), want, line);
    }
  });

  test("every script names the real subcommands and options, from the program itself", () => {
    for (const [shell, text] of Object.entries(scripts)) {
      for (const c of topCommands) assert.ok(text.includes(`'${c}'`), `${shell}: ${c}`);
      for (const w of ["set-response", "--csv-delimiter", "--log-level", "--show-phones"]) assert.ok(text.includes(shell === "fish" && w.startsWith("--") ? `-l '${w.slice(2)}'` : w), `${shell}: ${w}`);
    }
    assert.match(scripts.zsh!, /^#compdef secretaria/);
    assert.match(scripts.fish!, /complete -c secretaria -n '__secretaria_at \\'followups list\\'' -l 'all'/);
  });

  test("an unknown shell is a usage error", async () => {
    const r = await runCli(["completion", "tcsh"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /tcsh.*bash, zsh, fish/);
  });
});
