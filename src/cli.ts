/**
 * The command line: commander declarations only. Each action lazy-imports its module under
 * commands/, so `secretaria --help` loads neither SQLite nor axios, inquirer or prom-client.
 * One handler at the bottom turns a UserError into `secretaria: <message>` and its exit code.
 */
import { Argument, Command, CommanderError, Option } from "commander";
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
    .option("--db <path-or-url>", "SQLite database file, or a postgres:// URL (env SECRETARIA_DB, default ./secretaria.db)")
    .showSuggestionAfterError(true)
    // Set before the subcommands are declared: they inherit both.
    .exitOverride()
    .configureOutput({
      // One line, also when commander adds "(Did you mean …?)" on a line of its own.
      outputError: (str, write) => write(`secretaria: ${str.replace(/^error: /, "").trim().replace(/\s*\n\s*/g, " ")} (see --help)\n`),
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

  program
    .command("db")
    .description("move the data between engines")
    .command("copy")
    .description("copy a SQLite database into an empty PostgreSQL database (every row, ids kept), then check the row counts")
    .option("--from <file>", "the SQLite file (default: --db / SECRETARIA_DB / ./secretaria.db)")
    .option("--to <url>", "the empty PostgreSQL database, postgres://USER:PASSWORD@HOST/DB")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples(["secretaria db copy --from /var/lib/secretaria/secretaria.db --to postgres://secretaria:PASSWORD@10.0.0.5/secretaria"]))
    .action(act(async (o) => (await import("./commands/db-copy.js")).runDbCopy(o)));

  const companies = program
    .command("companies")
    .description("manage the businesses whose clients get follow-ups")
    .addHelpText("after", examples(["secretaria companies add --id clinica-sol --name 'Clínica Sol'", "secretaria companies list"]));
  companies
    .command("add")
    .description("add a company, or update the given settings of an existing one")
    .requiredOption("--id <id>", "short id, e.g. clinica-sol")
    .option("--name <name>", "display name (required when adding)")
    .option("--timezone <zone>", "IANA time zone (default America/Sao_Paulo)")
    .option("--whaticket-url <url>", "the company's Whaticket server (default: env WHATICKET_URL)")
    .option("--whaticket-token <token>", "its API token (default: env WHATICKET_TOKEN), or - to read it from standard input; never shown again")
    .option("--whaticket-token-file <path>", "read the Whaticket token from this file (keeps it out of the shell history)")
    .option("--whatsapp-id <id>", "the Whaticket connection (whatsappId) to send from")
    .option("--business-hours <spec>", 'when slots may be booked, e.g. "mon-fri 09:00-18:00; sat 09:00-12:00"')
    .option("--quiet-hours <range>", 'no sending in this local window, e.g. 20:00-08:00, or "off" (default 20:00-08:00)')
    .option("--followup-delay <min>", "minutes after the appointment's end (default 60)")
    .option("--rate-limit <msg_per_s>", "messages per second to this company's WhatsApp, 0 = off (default 1)")
    .option("--template <text>", "override of the follow-up text; {nome} = client's first name, {quando} = de hoje/de ontem")
    .option("--gateway <kind>", "WhatsApp gateway: whaticket (default), evolution or cloud (Meta's WhatsApp Cloud API, with buttons)")
    .option("--evolution-url <url>", "Evolution API server, e.g. https://evo.example.com")
    .option("--evolution-api-key <key>", "Evolution apikey (instance token or global key); never shown again")
    .option("--evolution-instance <name>", "Evolution instance name")
    .option("--cloud-phone-number-id <id>", "Cloud API: Phone number ID (digits, from WhatsApp > API Setup)")
    .option("--cloud-access-token <token>", "Cloud API: system-user access token; never shown again")
    .option("--cloud-app-secret <secret>", "Cloud API: the app secret that signs webhooks (X-Hub-Signature-256); never shown again")
    .option("--cloud-verify-token <token>", "Cloud API: the verify token you type in the webhook setup; never shown again")
    .option("--cloud-template <name>", "Cloud API: the approved follow-up template ({{1}} first name, {{2}} de hoje/de ontem, two quick replies)")
    .option("--cloud-template-language <code>", "Cloud API: the template's language (default pt_BR)")
    .option("--cloud-graph-base <url>", "Cloud API: Graph API base URL (default https://graph.facebook.com; for tests)")
    .option("--booking-webhook <url>", "POST each appointment the bot books over WhatsApp to this URL (signed; a secret is generated and shown once)")
    .option("--no-booking-webhook", "stop sending bookings (removes the URL and its secret)")
    .option("--booking-webhook-secret-file <path>", "the webhook's signing secret from a file (- = standard input) instead of a generated one")
    .option("--json", "print the saved company as JSON")
    .addHelpText("after", examples([
      "secretaria companies add --id clinica-sol --name 'Clínica Sol' --whaticket-url https://wt.clinicasol.com.br --whaticket-token \"$TOKEN\"",
      "secretaria companies add --id estudio --name 'Estúdio Lua' --timezone America/Manaus --business-hours 'tue-sat 10:00-19:00' --quiet-hours 21:00-09:00",
      "secretaria companies add --id odonto --name 'Odonto Sul' --gateway evolution --evolution-url https://evo.odontosul.com.br --evolution-api-key \"$KEY\" --evolution-instance odonto",
      "secretaria companies add --id fisio --name 'Fisio Mar' --gateway cloud --cloud-phone-number-id 106540352242922 --cloud-access-token \"$TOKEN\" --cloud-app-secret \"$SECRET\" --cloud-verify-token \"$VERIFY\" --cloud-template followup_reuniao",
    ]))
    .action(act(async (o) => (await import("./commands/companies.js")).runCompaniesAdd(o)));
  companies
    .command("list")
    .description("list companies (tokens are never shown)")
    .option("--format <format>", "table (default), json or csv")
    .option("--csv-delimiter <char>", "CSV separator: , (default), ; (Excel pt-BR), tab or |")
    .option("--bom", "start the CSV with a byte-order mark (Excel opens accents right)")
    .option("--json", "same as --format json")
    .addHelpText("after", examples(["secretaria companies list", "secretaria companies list --json", "secretaria companies list --format csv --csv-delimiter ';' --bom > empresas.csv"]))
    .action(act(async (o) => (await import("./commands/companies.js")).runCompaniesList(o)));
  companies
    .command("show")
    .description("one company: its settings (secrets only as set / not set), pause and why, pending follow-ups, saved import mapping")
    .argument("<id>", "the company id")
    .option("--json", "print it as JSON")
    .action(act(async (o, [id]) => (await import("./commands/companies.js")).runCompaniesShow(o, id ?? "")));
  companies
    .command("remove")
    .description("delete a company and its appointments (refuses while follow-ups are pending unless --force; audited)")
    .argument("<id>", "the company id")
    .option("--force", "remove it even with follow-ups still to be sent")
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples(["secretaria companies remove clinica-velha", "secretaria companies remove clinica-velha --force"]))
    .action(act(async (o, [id]) => (await import("./commands/companies.js")).runCompaniesRemove(o, id ?? "")));

  const appointments = program
    .command("appointments")
    .description("add, import and list appointments")
    .addHelpText("after", examples(["secretaria appointments import agenda.csv", "secretaria appointments list --company clinica-sol"]));
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
    .option("--company <id>", "every row is for this company (files without a company_id column); also picks its saved --map")
    .option("--map <field=Column,...>", "which column holds which field, e.g. client_name=Paciente,start_time=Data+Hora (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
    .option("--save-map", "keep --map for --company: its next imports use it without --map")
    .option("--encoding <name>", "auto (default: UTF-8, else Windows-1252 as Excel saves), utf-8, windows-1252 or latin1")
    .option("--json", "print the summary as JSON")
    .addHelpText("after", examples(["secretaria appointments import agenda.csv", "secretaria appointments import export.jsonl --skip-invalid", "cat agenda.csv | secretaria appointments import -", "secretaria appointments import export.csv --company clinica-sol --map client_name=Paciente,start_time=Data+Hora --save-map"]))
    .action(act(async (o, [file]) => (await import("./commands/appointments.js")).runAppointmentsImport(o, file ?? "")));
  appointments
    .command("list")
    .description("list appointments")
    .option("--company <id>", "only this company")
    .option("--from <date>", "start on or after this date (YYYY-MM-DD, company's local time)")
    .option("--to <date>", "start before this date (YYYY-MM-DD)")
    .option("--search <text>", "client name, phone or external id")
    .option("--source <source>", "only appointments from: whatsapp (booked by the bot), import, manual (appointments add) or api")
    .option("--limit <n>", "rows per page (default 50)")
    .option("--page <n>", "page number, from 1")
    .option("--format <format>", "table (default), json or csv")
    .option("--csv-delimiter <char>", "CSV separator: , (default), ; (Excel pt-BR), tab or |")
    .option("--bom", "start the CSV with a byte-order mark (Excel opens accents right)")
    .option("--json", "same as --format json")
    .addHelpText("after", examples(["secretaria appointments list --company clinica-sol --from 2026-11-25", "secretaria appointments list --search ana --json", "secretaria appointments list --source whatsapp --format csv"]))
    .action(act(async (o) => (await import("./commands/appointments.js")).runAppointmentsList(o)));
  appointments
    .command("cancel")
    .description("cancel an appointment: a follow-up not yet sent is unscheduled (audited)")
    .argument("<external-id>", "the appointment's id in the company's agenda")
    .option("--company <id>", "the company (required)")
    .option("--json", "print the appointment as JSON")
    .addHelpText("after", examples(["secretaria appointments cancel A-1001 --company clinica-sol"]))
    .action(act(async (o, [id]) => (await import("./commands/appointments.js")).runAppointmentsCancel(o, id ?? "")));
  appointments
    .command("show")
    .description("one appointment and its follow-up")
    .argument("<id>", "the row id (from appointments list) or the external id")
    .option("--company <id>", "the company, when several share the external id")
    .option("--show-phones", "show the client's phone unmasked")
    .option("--json", "print it as JSON")
    .addHelpText("after", examples(["secretaria appointments show 42", "secretaria appointments show A-1001 --company clinica-sol"]))
    .action(act(async (o, [id]) => (await import("./commands/appointments.js")).runAppointmentsShow(o, id ?? "")));

  // ── commands of the delivery, replies, views and demo work register below ──

  const tokens = program
    .command("tokens")
    .description("API and panel (/painel) tokens: one company's data, or every company's (operator); stored hashed, shown once")
    .addHelpText("after", examples(["secretaria tokens create --company clinica-sol --name recepcao", "secretaria tokens create --operator", "secretaria tokens list", "secretaria tokens revoke 3"]));
  tokens
    .command("create")
    .description("create a token and print it once")
    .option("--company <id>", "the token sees and resends this company's follow-ups only")
    .option("--operator", "the token sees every company")
    .option("--name <name>", "a label, e.g. who holds it")
    .option("--json", "machine-readable output (includes the token)")
    .action(act(async (o) => (await import("./commands/tokens.js")).runTokensCreate(o)));
  tokens
    .command("list")
    .description("list tokens (never the token itself)")
    .option("--format <format>", "table (default), json or csv")
    .option("--csv-delimiter <char>", "CSV separator: , (default), ; (Excel pt-BR), tab or |")
    .option("--bom", "start the CSV with a byte-order mark (Excel opens accents right)")
    .option("--json", "same as --format json")
    .action(act(async (o) => (await import("./commands/tokens.js")).runTokensList(o)));
  tokens
    .command("revoke")
    .description("revoke a token by its id (see tokens list)")
    .argument("<id>", "the token's id")
    .action(act(async (o, [id]) => (await import("./commands/tokens.js")).runTokensRevoke(o, id ?? "")));

  const secrets = program
    .command("secrets")
    .description("encryption of the stored gateway tokens (AES-256-GCM under SECRETARIA_SECRET_KEY): make a key, encrypt, rotate")
    .addHelpText("after", examples(["secretaria secrets keygen > /etc/secretaria/secret.key", "SECRETARIA_SECRET_KEY_FILE=/etc/secretaria/secret.key secretaria secrets encrypt", "SECRETARIA_SECRET_KEY_FILE=new.key secretaria secrets rotate --old-key-file old.key"]));
  secrets
    .command("keygen")
    .description("print a fresh random key (base64, 32 bytes)")
    .option("--json", "machine-readable output")
    .action(act(async (o) => (await import("./commands/secrets.js")).runSecretsKeygen(o)));
  secrets
    .command("encrypt")
    .description("encrypt every token still stored in clear with SECRETARIA_SECRET_KEY (prints counts, never a token)")
    .option("--json", "machine-readable output")
    .action(act(async (o) => (await import("./commands/secrets.js")).runSecretsEncrypt(o)));
  secrets
    .command("rotate")
    .description("re-encrypt every stored token from the old key (SECRETARIA_OLD_SECRET_KEY or --old-key-file) to SECRETARIA_SECRET_KEY, in one transaction")
    .option("--old-key-file <path>", "a file (chmod 600) holding the old key")
    .option("--json", "machine-readable output")
    .action(act(async (o) => (await import("./commands/secrets.js")).runSecretsRotate(o)));

  program
    .command("daemon")
    .description("the service: sends due follow-ups on a cron schedule (exactly once, with retries) and serves HTTP (metrics, webhook, API)")
    .option("--once", "send everything due now (SECRETARIA_NOW or the system clock), then exit; no HTTP server")
    .option("--schedule <cron>", 'when to look for due follow-ups, a cron expression (default "* * * * *": every minute)')
    .option("--concurrency <n>", "sends in flight at once (default 8)")
    .option("--rate-limit <msg_per_s>", "messages per second for EVERY company, overriding each one's --rate-limit; 0 = off (default: per company)")
    .option("--max-attempts <n>", "tries for a follow-up on timeouts, 429 and 5xx before it is failed (default 5)")
    .option("--send-timeout <ms>", "how long one send request (Whaticket, Evolution API or Cloud API) may take before it counts as a timeout and is retried (default 10000); a stop waits this + 5 s")
    .option("--port <n>", "HTTP port (default 9464; 0 = any free port)")
    .option("--host <host>", "HTTP address (default 127.0.0.1)")
    .addOption(new Option("--log-format <format>", "one line per event, readable text or JSON").choices(["text", "json"]).default("text"))
    .option("--log-level <level>", "debug (also idle ticks), info (default: sends, replies), warn (rejections: 401s, refused items, suppressed bot replies) or error (env SECRETARIA_LOG_LEVEL)")
    .addHelpText("after", `${examples([
      "secretaria daemon",
      "secretaria daemon --once                           # from a systemd timer or a test",
      "secretaria daemon --schedule '*/5 * * * *' --concurrency 4 --log-format json",
    ])}
Gateways: each company sends through its own (companies add --gateway whaticket|evolution|cloud); Whaticket
companies without a URL/token use WHATICKET_URL / WHATICKET_TOKEN. A refused token or setup pauses that
company without using attempts; a first SIGINT/SIGTERM stops after the sends in flight, a second at once.`)
    .action(act(async (o) => (await import("./commands/daemon.js")).runDaemonCommand(o)));

  // followups: list (views) and resend (delivery) share this parent.
  const followups = program
    .command("followups")
    .description("the follow-ups: list them, resend one")
    .addHelpText("after", examples(["secretaria followups list --status pending", "secretaria followups resend 42"]));
  followups
    .command("list")
    .description("follow-ups with their state, newest appointment first (pending = scheduled or sent, no answer yet)")
    .option("--status <status>", "all, scheduled, pending, sent, positive, negative, feedback, failed or skipped (default all)")
    .option("--company <id>", "only this company")
    .option("--since <date>", "appointments that ended on or after this local date (YYYY-MM-DD, company's time zone)")
    .option("--until <date>", "appointments that ended on or before this local date (YYYY-MM-DD, inclusive)")
    .option("--search <text>", "part of the client's name, or digits of the phone")
    .option("--sort <key>", "-end (default: newest end first), end, next (next attempt soonest), -next, sent, -sent, client, -client, id, -id")
    .option("--limit <n>", "rows per page (default 50)")
    .option("--page <n>", "page number, from 1 (the footer says which comes next)")
    .option("--format <format>", "table (default), json or csv")
    .option("--csv-delimiter <char>", "CSV separator: , (default), ; (Excel pt-BR), tab or |")
    .option("--bom", "start the CSV with a byte-order mark (Excel opens accents right)")
    .option("--json", "same as --format json: an array of {id, company_id, client_name, client_phone, end_time, followup_status, ...}")
    .option("--all", "every matching row, streamed (no --limit cap; csv or json): for exports. Without it a cut export says so on stderr")
    .option("--show-phones", "the table shows phones unmasked (masked by default; csv and json always carry the full phone)")
    .addHelpText("after", examples([
      "secretaria followups list --status pending",
      "secretaria followups list --company clinica-sol --since 2026-11-01 --until 2026-11-30 --status negative",
      "secretaria followups list --search 'ana souza' --sort next",
      "secretaria followups list --status failed --format csv > failed.csv",
      "secretaria followups list --all --format csv --csv-delimiter ';' --bom > todos.csv",
    ]))
    .action(act(async (o) => (await import("./commands/followups-list.js")).runFollowupsList(o)));
  followups
    .command("resend")
    .description("send follow-up ID again now (for sent, feedback or failed); asks on a terminal, needs --yes otherwise")
    .argument("<id>", "the appointment's id (see secretaria followups list)")
    .option("--yes", "do not ask for confirmation (required when not on a terminal)")
    .option("--json", "print the follow-up after the resend as JSON")
    .option("--force", "send even within 12 hours of the last send or inside the company's quiet hours (refused otherwise)")
    .addHelpText("after", examples(["secretaria followups resend 42", "secretaria followups resend 42 --yes --json"]))
    .action(act(async (o, [id]) => (await import("./commands/followups-resend.js")).runFollowupsResend(o, id)));
  followups
    .command("show")
    .description("one follow-up's whole story in time order: messages both ways, state changes, audit")
    .argument("<id>", "the appointment's id (see secretaria followups list)")
    .option("--json", "{followup, events: [{at, at_local, kind, action, text, detail, ref}]}")
    .addHelpText("after", examples(["secretaria followups show 42", "secretaria followups show 42 --json"]))
    .action(act(async (o, [id]) => (await import("./commands/followups-show.js")).runFollowupsShow(o, id)));
  followups
    .command("set-response")
    .description("correct a misread reply, with the effects a real reply of that kind has (positive offers slots), audited")
    .argument("<id>", "the appointment's id (see secretaria followups list)")
    .argument("<response>", "positive, negative or feedback")
    .option("--text <text>", "feedback only: the feedback's text (default: the client's last message)")
    .option("--no-send", "positive: record the slot offer without sending it to the client")
    .option("--json", "{appointment_id, from, to, feedback, offered_slots, bot_reply, bot_reply_delivery, ...}")
    .addHelpText("after", `${examples(["secretaria followups set-response 42 positive", "secretaria followups set-response 42 feedback --text 'a sala estava fria'", "secretaria followups set-response 42 negative --json"])}
A correction is audited as followup_response (corrected_by: operator) plus response_corrected. stats shows
each follow-up's current response; the /metrics *_total counters count responses recorded, corrections included.`)
    .action(act(async (o, [id, response]) => (await import("./commands/followups-set-response.js")).runFollowupsSetResponse(o, id, response)));

  const reply = program
    .command("reply")
    .description("inbound replies: classify a text, or process one as if it had arrived")
    .addHelpText("after", examples(['secretaria reply classify "Sim, quero marcar"', 'secretaria reply simulate --phone 5511999990000 --text "2" --dry-run']));
  reply
    .command("simulate")
    .description("process TEXT as a WhatsApp message from PHONE (same service as the webhook): prints the matched follow-up, intent, changes and the bot's answer")
    .option("--phone <phone>", "the client's WhatsApp, with the country code (e.g. 5511999990000)")
    .option("--text <text>", "the message, as the client would write it")
    .option("--company <id>", "only match follow-ups of this company")
    .option("--dry-run", "change nothing and send nothing; show what would happen")
    .option("--json", "machine-readable output: {matched, appointment_id, intent, response, bot_reply, changes, ...}")
    .addHelpText("after", `${examples([
      'secretaria reply simulate --phone 5511999990000 --text "Sim, quero marcar"',
      'secretaria reply simulate --phone 5511999990000 --text "2" --dry-run --json',
      "secretaria reply simulate                  # on a terminal: pick an open follow-up, type the text",
    ])}
Without --dry-run the bot's answer goes out through the company's Whaticket (or WHATICKET_URL/WHATICKET_TOKEN);
when none is configured the response is still recorded and the output says the answer was not sent (exit 0).`)
    .action(act(async (o) => (await import("./commands/reply.js")).runReplySimulate(o)));
  reply
    .command("classify")
    .description("intent of TEXT (followup_positive, followup_negative, followup_feedback), or of each stdin line; needs no database")
    .argument("[text]", "the reply to classify; without it, one result per stdin line, in order")
    .option("--json", 'one JSON object {"text", "intent"} per line')
    .option("--explain", "also show the rule that decided (and, in --json, the doubt that makes the bot ask)")
    .option("--table", "each text beside its intent in columns (the default when stdout is a terminal)")
    .addHelpText("after", `${examples([
      'secretaria reply classify "não vejo a hora de marcar"',
      "secretaria reply classify --json < replies.jsonl     # a JSON line with a \"text\" field is read as that text",
      "cut -f2 export.tsv | secretaria reply classify",
    ])}`)
    .action(act(async (o, [text]) => (await import("./commands/reply.js")).runReplyClassify(o, text)));

  // replies: the inbox of what customers wrote (issue 15).
  program
    .command("replies")
    .description("what customers wrote: every inbound message, matched to a follow-up or not")
    .command("list")
    .description("the inbox, newest first: time (company's zone), client, follow-up, intent, deciding rule, text (control characters stripped)")
    .option("--company <id>", "only messages matched to this company's follow-ups")
    .option("--intent <intent>", "positive, negative or feedback")
    .option("--unmatched", "only messages that matched no open follow-up")
    .option("--since <date>", "received on or after this local date (YYYY-MM-DD)")
    .option("--until <date>", "received on or before this local date (YYYY-MM-DD)")
    .option("--follow-up <id>", "only messages of this follow-up (the appointment's id)")
    .option("--limit <n>", "at most N messages (default 100)")
    .option("--json", "an array of {id, received_at, received_local, company_id, appointment_id, client_name, phone, intent, rule, outcome, text}")
    .option("--format <format>", "table (default), json or csv")
    .option("--csv-delimiter <char>", "CSV separator: , (default), ; (Excel pt-BR), tab or |")
    .option("--bom", "start the CSV with a byte-order mark (Excel opens accents right)")
    .option("--show-phones", "the table shows an unmatched sender's phone unmasked")
    .addHelpText("after", examples(["secretaria replies list --unmatched", "secretaria replies list --company clinica --intent feedback --since 2026-11-01", "secretaria replies list --follow-up 42 --format csv"]))
    .action(act(async (o) => (await import("./commands/replies.js")).runRepliesList(o)));

  program
    .command("stats")
    .description("follow-up counters, response rate and the stacked positive/negative chart per local day")
    .option("--company <id>", "only this company (default: all, with a per-company table)")
    .option("--days <n>", "window in local days, today included (default 30)")
    .option("--json", "{sent, pending, positive, negative, feedback, failed, response_rate, daily: [{date, sent, positive, negative, feedback}], ...}")
    .addHelpText("after", `${examples(["secretaria stats", "secretaria stats --company clinica-sol --days 7", "secretaria stats --json"])}
sent = follow-ups delivered in the window (each appointment once, however often resent), by followup_sent_at;
answers by followup_responded_at; response rate = (positive + negative + feedback) / sent; pending = scheduled
or awaiting a reply. Colors only on a terminal; NO_COLOR turns them off, FORCE_COLOR on.`)
    .action(act(async (o) => (await import("./commands/stats.js")).runStats(o)));

  // status and doctor: seeing what is going on (issue 18).
  program
    .command("status")
    .description("daemons (host, pid, last tick, alive), backlog due now, sends in the last hour, paused companies, webhook/API — from the database, any host")
    .option("--json", "print it as JSON")
    .addHelpText("after", examples(["secretaria status", "secretaria status --json --db postgres://…"]))
    .action(act(async (o) => (await import("./commands/status.js")).runStatus(o)));
  program
    .command("doctor")
    .description("check the setup: gateways, templates, tokens, database permissions, a simulated clock, quiet hours; each problem with its fix; exit 1 when any")
    .option("--online", "also try each Whaticket server (HEAD, 5 s timeout)")
    .option("--json", "print {ok, problems: [{check, company, problem, fix}]}")
    .addHelpText("after", examples(["secretaria doctor", "secretaria doctor --online"]))
    .action(act(async (o) => (await import("./commands/doctor.js")).runDoctor(o)));

  // contacts: the do-not-contact list, consent under LGPD (issue 14).
  const contacts = program
    .command("contacts")
    .description("the do-not-contact list: phones that asked to stop (PARAR) never get a follow-up from that company")
    .addHelpText("after", examples(["secretaria contacts list --company clinica", "secretaria contacts optout --company clinica --phone \"+55 11 99999-0000\""]));
  contacts
    .command("list")
    .description("phones on the list: company, phone, since, reason (client_request or operator), the message that asked")
    .option("--company <id>", "only this company")
    .option("--phone <phone>", "only this phone (any company)")
    .option("--format <format>", "table (default), json or csv")
    .option("--csv-delimiter <char>", "CSV separator: , (default), ; (Excel pt-BR), tab or |")
    .option("--bom", "start the CSV with a byte-order mark (Excel opens accents right)")
    .option("--json", "same as --format json: an array of {company_id, phone, since, reason, message, message_id}")
    .option("--show-phones", "the table shows phones unmasked (masked by default; csv and json always carry the full phone)")
    .action(act(async (o) => (await import("./commands/contacts.js")).runContactsList(o)));
  contacts
    .command("show")
    .description("whether a phone is on a company's list, since when and why")
    .option("--company <id>", "the company")
    .option("--phone <phone>", "the client's phone")
    .option("--json", "{company_id, phone, opted_out, entry}")
    .action(act(async (o) => (await import("./commands/contacts.js")).runContactsShow(o)));
  contacts
    .command("optout")
    .description("put a phone on a company's list (the client asked by other means); skips its scheduled follow-ups; audited consent_revoked")
    .option("--company <id>", "the company")
    .option("--phone <phone>", "the client's phone")
    .option("--note <text>", "why (kept on the list)")
    .option("--json", "{added, skipped_followups, entry}")
    .action(act(async (o) => (await import("./commands/contacts.js")).runContactsOptOut(o)));
  contacts
    .command("optin")
    .description("take a phone off a company's list, only at the client's request; audited consent_granted")
    .option("--company <id>", "the company")
    .option("--phone <phone>", "the client's phone")
    .option("--json", "{removed}")
    .action(act(async (o) => (await import("./commands/contacts.js")).runContactsOptIn(o)));

  // customers: a person's data under LGPD, a copy and its erasure (issue 14).
  const customers = program
    .command("customers")
    .description("a person's data under LGPD: everything held about a phone, as a copy or erased")
    .addHelpText("after", examples(["secretaria customers export --phone \"+55 11 99999-0000\" > ana.json", "secretaria customers erase --phone \"+55 11 99999-0000\" --yes"]));
  customers
    .command("export")
    .description("one JSON document on stdout: appointments, follow-up states, messages received and sent, feedback, audit entries, do-not-contact entry")
    .option("--phone <phone>", "the person's phone (both forms of a Brazilian mobile are found)")
    .option("--company <id>", "only this company's data (default: every company)")
    .action(act(async (o) => (await import("./commands/customers.js")).runCustomersExport(o)));
  customers
    .command("erase")
    .description("remove or anonymise every row about the person (unmatched messages included); audit entries keep action and time only; SQLite file rebuilt so nothing is recoverable")
    .option("--phone <phone>", "the person's phone")
    .option("--company <id>", "only this company's data (default: every company)")
    .option("--yes", "do not ask (needed when not on a terminal)")
    .option("--json", "{erased: {appointments, feedback_events, inbound_messages, audit_entries, do_not_contact}, file_scrubbed}")
    .action(act(async (o) => (await import("./commands/customers.js")).runCustomersErase(o)));

  const audit = program
    .command("audit")
    .description("the audit trail (followup_sent, followup_response, …)")
    .addHelpText("after", examples(["secretaria audit list --appointment 42", "secretaria audit list --action followup_response"]));
  audit
    .command("list")
    .description("audit entries, newest first, payload on one line")
    .option("--appointment <id>", "only entries of this appointment")
    .option("--action <action>", "only this action, e.g. followup_sent, followup_response")
    .option("--company <id>", "only this company")
    .option("--since <date>", "entries on or after this local date (YYYY-MM-DD, company's time zone)")
    .option("--limit <n>", "rows per page (default 50)")
    .option("--page <n>", "page number, from 1")
    .option("--format <format>", "table (default), json or csv")
    .option("--csv-delimiter <char>", "CSV separator: , (default), ; (Excel pt-BR), tab or |")
    .option("--bom", "start the CSV with a byte-order mark (Excel opens accents right)")
    .option("--json", "same as --format json: an array of {id, action, appointment_id, company_id, payload, created_at}, payload as an object")
    .option("--show-phones", "the table shows phones in payloads unmasked")
    .addHelpText("after", examples(["secretaria audit list --appointment 42", "secretaria audit list --action followup_response --since 2026-11-01 --json"]))
    .action(act(async (o) => (await import("./commands/audit.js")).runAuditList(o)));

  program
    .command("demo")
    .description("the whole cycle offline in under a minute: fake Whaticket on 127.0.0.1, simulated clock, real engine; ends with stats and the list")
    .option("--fast", "no pauses between steps")
    .option("--gateway <kind>", "evolution or cloud: the cycle through that gateway's fake (cloud shows the template's buttons and a tap)")
    .addHelpText("after", `${examples(["npx secretaria demo", "npx secretaria demo --fast", "npx secretaria demo --gateway cloud", "npx secretaria --db /tmp/demo.db demo   # keep the demo database where you want it"])}
The demo writes only a new database (a temporary folder unless --db names a new file or an earlier demo's);
it never touches ./secretaria.db or SECRETARIA_DB, and needs no configuration or network.`)
    .action(act(async (o) => (await import("./commands/demo.js")).runDemo(o)));

  program
    .command("completion")
    .description("print a shell completion script (bash, zsh or fish), generated from this CLI's commands and options")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"]))
    .addHelpText("after", examples([
      "source <(secretaria completion bash)                      # this shell; add the line to ~/.bashrc to keep it",
      "secretaria completion zsh > \"${fpath[1]}/_secretaria\"",
      "secretaria completion fish > ~/.config/fish/completions/secretaria.fish",
    ]))
    .action(act(async (_o, [shell]) => (await import("./commands/completion.js")).runCompletion(shell, program)));

  return program;
}

function debug(): boolean {
  return (process.env.DEBUG ?? "").split(",").some((d) => d.trim() === "secretaria" || d.trim() === "*");
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp(); // the same text as --help, examples included
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
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
      // A command group without its subcommand (`secretaria companies`): help went to stderr as a usage error.
      if (err.code === "commander.help") return err.exitCode === 0 ? 0 : 2;
      return 2;
    }
    const { isUserError } = await import("./errors.js");
    // Messages may quote customer text (a file's cell, a name): control characters never reach the terminal.
    const { stripControl } = await import("./render/safe-text.js");
    if (isUserError(err)) {
      process.stderr.write(`secretaria: ${stripControl(err.message)}\n`);
      if (debug() && err.stack) process.stderr.write(`${err.stack}\n`);
      return err.exitCode;
    }
    process.stderr.write(`secretaria: unexpected error: ${stripControl((err as Error)?.message ?? String(err))} (this is a bug; run with DEBUG=secretaria for details)\n`);
    if (debug() && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

const code = await main(process.argv);
// Let pending stdout writes finish before exiting (piped output).
process.exitCode = code;
