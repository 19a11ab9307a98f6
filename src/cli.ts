/**
 * The command line: commander declarations only. Each action lazy-imports its module under
 * commands/, so `secretaria --help` loads neither SQLite nor axios, inquirer or prom-client.
 * One handler at the bottom turns a UserError into `secretaria: <message>` and its exit code.
 */
import { Command, CommanderError, Option } from "commander";
import { readFileSync } from "node:fs";

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

type Action = (opts: Record<string, unknown>, cmd: Command, ...args: string[]) => Promise<void>;

/** Wraps an action so it receives its own options merged with the global ones (--db). */
// Commander has already checked required options and choices; each command validates values itself.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function act(fn: (opts: any, args: string[]) => Promise<void>): Action {
  return async (...all: unknown[]) => {
    const cmd = all[all.length - 1] as Command;
    const args = all.slice(0, -2) as string[];
    await fn(cmd.optsWithGlobals(), args);
  };
}

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}

export function buildProgram(): Command {
  const program = new Command("secretaria")
    .description("Post-appointment WhatsApp follow-ups through Whaticket: sends each follow-up once, reads the reply, books the next meeting.")
    .version(VERSION, "-V, --version", "print the version")
    .option("--db <path>", "SQLite database file (env SECRETARIA_DB, default ./secretaria.db)")
    .showSuggestionAfterError(true)
    // Set before the subcommands are declared: they inherit both.
    .exitOverride()
    .configureOutput({
      outputError: (str, write) => write(`secretaria: ${str.replace(/^error: /, "").trimEnd()} (see --help)\n`),
    })
    .addHelpText(
      "after",
      `${examples([
        "npx secretaria demo                        # the whole cycle offline, in under a minute",
        "secretaria migrate                         # create / upgrade ./secretaria.db",
        "secretaria companies add --id clinica --name 'Clínica Sol' --whaticket-url https://wt.example.com",
        "secretaria appointments import agenda.csv",
        "secretaria daemon                          # send due follow-ups every minute",
        "secretaria followups list --status pending",
        "secretaria stats",
      ])}
Environment: SECRETARIA_DB, WHATICKET_URL, WHATICKET_TOKEN, SECRETARIA_WEBHOOK_TOKEN, SECRETARIA_API_TOKEN,
SECRETARIA_NOW (an ISO-8601 instant used as the clock, for simulations). DEBUG=secretaria shows stack traces.
Exit status: 0 success, 1 failure, 2 usage error.`,
    );

  program
    .command("migrate")
    .description("create or upgrade the database (idempotent; safe to run from two processes at once)")
    .option("--status", "show each migration as applied or pending, apply nothing")
    .option("--to <n>", "apply migrations only up to version N")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples(["secretaria migrate", "secretaria migrate --status --json", "secretaria --db /var/lib/secretaria/data.db migrate --to 1"]))
    .action(act(async (o) => (await import("./commands/migrate.js")).runMigrate(o)));

  const companies = program.command("companies").description("manage the businesses whose clients get follow-ups");
  companies
    .command("add")
    .description("add a company, or update the given settings of an existing one")
    .requiredOption("--id <id>", "short id, e.g. clinica-sol")
    .option("--name <name>", "display name (required when adding)")
    .option("--timezone <zone>", "IANA time zone (default America/Sao_Paulo)")
    .option("--whaticket-url <url>", "the company's Whaticket server (default: env WHATICKET_URL)")
    .option("--whaticket-token <token>", "its API token (default: env WHATICKET_TOKEN); never shown again")
    .option("--whatsapp-id <id>", "the Whaticket connection (whatsappId) to send from")
    .option("--business-hours <spec>", 'when slots may be booked, e.g. "mon-fri 09:00-18:00; sat 09:00-12:00"')
    .option("--quiet-hours <range>", 'no sending in this local window, e.g. 20:00-08:00, or "off" (default 20:00-08:00)')
    .option("--followup-delay <min>", "minutes after the appointment's end (default 60)")
    .option("--rate-limit <msg_per_s>", "messages per second to this company's WhatsApp, 0 = off (default 1)")
    .option("--template <text>", "override of the follow-up text; {nome} = client's first name, {quando} = de hoje/de ontem")
    .option("--json", "print the saved company as JSON")
    .addHelpText("after", examples([
      "secretaria companies add --id clinica-sol --name 'Clínica Sol' --whaticket-url https://wt.clinicasol.com.br --whaticket-token \"$TOKEN\"",
      "secretaria companies add --id estudio --name 'Estúdio Lua' --timezone America/Manaus --business-hours 'tue-sat 10:00-19:00' --quiet-hours 21:00-09:00",
    ]))
    .action(act(async (o) => (await import("./commands/companies.js")).runCompaniesAdd(o)));
  companies
    .command("list")
    .description("list companies (tokens are never shown)")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples(["secretaria companies list", "secretaria companies list --json"]))
    .action(act(async (o) => (await import("./commands/companies.js")).runCompaniesList(o)));

  const appointments = program.command("appointments").description("add, import and list appointments");
  appointments
    .command("add")
    .description("add or update one appointment (on a terminal, prompts for what is missing)")
    .option("--company <id>", "company id")
    .option("--external-id <id>", "the appointment's id in your agenda system")
    .option("--client-name <name>", "client's name")
    .option("--client-phone <phone>", "client's WhatsApp, e.g. +55 11 99999-0000")
    .option("--start <time>", "start, ISO-8601 (without offset: the company's local time)")
    .option("--end <time>", "end, ISO-8601 (without offset: the company's local time)")
    .addOption(new Option("--allow-followup <yes|no>", "LGPD consent to the WhatsApp follow-up").choices(["yes", "no", "true", "false"]))
    .addOption(new Option("--status <status>", "booked or cancelled").choices(["booked", "cancelled"]).default("booked"))
    .option("--json", "print the saved appointment as JSON")
    .addHelpText("after", examples([
      "secretaria appointments add --company clinica-sol --external-id A-1001 --client-name 'Ana Souza' --client-phone '+55 11 99999-0000' --start 2026-11-25T14:00 --end 2026-11-25T15:00 --allow-followup yes",
    ]))
    .action(act(async (o) => (await import("./commands/appointments.js")).runAppointmentsAdd(o)));
  appointments
    .command("import")
    .description("import a CSV or JSON-lines file atomically (upsert by company_id + external_id)")
    .argument("<file>", "CSV with header company_id,external_id,client_name,client_phone,start_time,end_time,allow_followup[,status], or .jsonl; - for stdin")
    .option("--skip-invalid", "import the valid rows and report the others (default: a bad row imports nothing)")
    .option("--json", "print the summary as JSON")
    .addHelpText("after", examples(["secretaria appointments import agenda.csv", "secretaria appointments import export.jsonl --skip-invalid", "cat agenda.csv | secretaria appointments import -"]))
    .action(act(async (o, [file]) => (await import("./commands/appointments.js")).runAppointmentsImport(o, file ?? "")));
  appointments
    .command("list")
    .description("list appointments")
    .option("--company <id>", "only this company")
    .option("--from <date>", "start on or after this date (YYYY-MM-DD, company's local time)")
    .option("--to <date>", "start before this date (YYYY-MM-DD)")
    .option("--search <text>", "client name, phone or external id")
    .option("--limit <n>", "rows per page (default 50)")
    .option("--page <n>", "page number, from 1")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples(["secretaria appointments list --company clinica-sol --from 2026-11-25", "secretaria appointments list --search ana --json"]))
    .action(act(async (o) => (await import("./commands/appointments.js")).runAppointmentsList(o)));

  // ── commands of the delivery, replies, views and demo work register below ──

  return program;
}

function debug(): boolean {
  return (process.env.DEBUG ?? "").split(",").some((d) => d.trim() === "secretaria" || d.trim() === "*");
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length <= 2) {
    process.stdout.write(program.helpInformation());
    return 0;
  }
  // `secretaria … | head` closing the pipe early is not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return 0;
      return 2;
    }
    const { isUserError } = await import("./errors.js");
    if (isUserError(err)) {
      process.stderr.write(`secretaria: ${err.message}\n`);
      if (debug() && err.stack) process.stderr.write(`${err.stack}\n`);
      return err.exitCode;
    }
    process.stderr.write(`secretaria: unexpected error: ${(err as Error)?.message ?? String(err)} (this is a bug; run with DEBUG=secretaria for details)\n`);
    if (debug() && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

const code = await main(process.argv);
// Let pending stdout writes finish before exiting (piped output).
process.exitCode = code;
