import { test, describe, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { FakeWhaticket, startFakeWhaticket } from "../../src/gateway/fake-whaticket.js";
import { getAppointment } from "../../src/store/appointments.js";
import { listDaemons } from "../../src/store/daemons.js";
import type { Store } from "../../src/store/store.js";
import { runCli, migratedDb, tempDb } from "../helpers/cli.js";
import { addCompany, auditCount, phoneFor, seedDue, spawnCli, statusCounts, T0, TOKEN, until } from "../helpers/daemon.js";

/**
 * `secretaria daemon` and `followups resend` as subprocesses of the built CLI (npm run build),
 * against the fake Whaticket on 127.0.0.1 and a real database of this run's engine (`--db` takes
 * a SQLite file or a PostgreSQL URL alike).
 */

const T = { timeout: 120_000 };
const NOW = T0.toISOString();
const env = (extra: Record<string, string> = {}) => ({ SECRETARIA_NOW: NOW, ...extra });

describe("secretaria daemon (subprocess)", () => {
  let fake: FakeWhaticket;
  let path: string;
  let db: Store;

  before(async () => {
    fake = await startFakeWhaticket({ token: TOKEN });
  });
  after(async () => {
    await fake.stop();
  });
  beforeEach(async () => {
    fake.reset();
    fake.setLatency(0);
    path = tempDb();
    db = await migratedDb(path);
  });
  afterEach(() => db.close());

  test("--once: N due → N POSTs, N rows sent, N audits, exit 0; the log masks phones and never prints the token", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    await seedDue(db, { company: "clinica", n: 25 });
    await seedDue(db, { company: "clinica", n: 3, from: 50, dueAt: new Date(T0.getTime() + 5 * 60_000) });
    const r = await runCli(["--db", path, "daemon", "--once", "--rate-limit", "0"], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(fake.received.length, 25);
    assert.equal(new Set(fake.received.map((m) => m.number)).size, 25);
    assert.ok(fake.received.every((m) => m.token === TOKEN));
    assert.deepEqual(await statusCounts(db), { sent: 25, scheduled: 3 });
    assert.equal(await auditCount(db, "followup_sent"), 25);
    assert.ok(!r.stderr.includes(TOKEN));
    assert.ok(!r.stderr.includes(phoneFor(0)), "full phone numbers stay out of the log");
    assert.match(r.stderr, /followup_sent id=\d+ company=clinica phone=5511\*+\d\d/);
    assert.match(r.stderr, /once_done sent=25/);
    assert.doesNotMatch(r.stderr, /daemon_started|http/i, "--once serves no HTTP");
  });

  test("--send-timeout: a Whaticket slower than the timeout is a transient failure, retried later", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    await seedDue(db, { company: "clinica", n: 1 });
    fake.setLatency(3_000);
    const r = await runCli(["--db", path, "daemon", "--once", "--send-timeout", "300"], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await statusCounts(db), { scheduled: 1 });
    const row = (await db.get<{ followup_attempts: number; followup_last_error: string }>("SELECT followup_attempts, followup_last_error FROM appointments"))!;
    assert.equal(row.followup_attempts, 1);
    assert.match(row.followup_last_error, /timeout after 300 ms/);
    const bad = await runCli(["--db", path, "daemon", "--once", "--send-timeout", "fast"], { env: env() });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^secretaria: --send-timeout must be a whole number/);
  });

  test("WHATICKET_URL / WHATICKET_TOKEN are the fallback for a company without its own", T, async () => {
    await addCompany(db, "clinica", {});
    await seedDue(db, { company: "clinica", n: 2 });
    const r = await runCli(["--db", path, "daemon", "--once"], { env: env({ WHATICKET_URL: fake.url, WHATICKET_TOKEN: TOKEN }) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fake.received.length, 2);
    assert.ok(!r.stderr.includes(TOKEN));
  });

  test("no Whaticket URL/token for one company: it is paused with the reason, the others still send; companies list says so", T, async () => {
    await addCompany(db, "clinica-sol", {});
    await addCompany(db, "clinica-lua", { url: fake.url, token: TOKEN });
    await seedDue(db, { company: "clinica-sol", n: 1 });
    await seedDue(db, { company: "clinica-lua", n: 2, from: 10 });
    const r = await runCli(["--db", path, "daemon", "--once", "--rate-limit", "0"], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /company_paused.*clinica-sol has no Whaticket URL and token/);
    assert.equal(fake.received.length, 2);
    const sol = await db.get<{ paused_reason: string | null }>("SELECT paused_reason FROM companies WHERE id = ?", ["clinica-sol"]);
    assert.match(sol?.paused_reason ?? "", /^company clinica-sol has no Whaticket URL and token/);
    const list = await runCli(["--db", path, "companies", "list"], { env: env() });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /status/);
    assert.match(list.stdout, /clinica-lua.*\bok\b/);
    assert.match(list.stdout, /clinica-sol.*paused: company clinica-sol has no/);
    // With the settings in place (here from the environment), a restart resumes it.
    const again = await runCli(["--db", path, "daemon", "--once", "--rate-limit", "0"], { env: env({ WHATICKET_URL: fake.url, WHATICKET_TOKEN: TOKEN }) });
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await db.get<{ paused_reason: string | null }>("SELECT paused_reason FROM companies WHERE id = ?", ["clinica-sol"]))?.paused_reason, null);
    assert.equal(fake.received.length, 3);
  });

  test("companies add warns (stderr, exit 0) when the new company cannot send; list shows it as not configured", T, async () => {
    const r = await runCli(["--db", path, "companies", "add", "--id", "clinica-sol", "--name", "Sol"], { env: env({ WHATICKET_URL: "", WHATICKET_TOKEN: "" }) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^secretaria: warning: company clinica-sol has no Whaticket URL and token.*daemon keeps this company paused$/m);
    const list = await runCli(["--db", path, "companies", "list"], { env: env({ WHATICKET_URL: "", WHATICKET_TOKEN: "" }) });
    assert.match(list.stdout, /clinica-sol.*not configured/);
  });

  test("tokens at start: a webhook token under 24 characters or an API token equal to it → one line, exit 1; SECRETARIA_NOW → a loud warning", T, async () => {
    let r = await runCli(["--db", path, "daemon", "--port", "0"], { env: env({ SECRETARIA_WEBHOOK_TOKEN: "a" }) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^secretaria: SECRETARIA_WEBHOOK_TOKEN has 1 characters: use at least 24 random ones/m);
    assert.equal(r.stderr.split("\n").filter((l) => l.startsWith("secretaria:")).length, 1, r.stderr);
    const same = "s".repeat(32);
    r = await runCli(["--db", path, "daemon", "--port", "0"], { env: env({ SECRETARIA_WEBHOOK_TOKEN: same, SECRETARIA_API_TOKEN: same }) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^secretaria: SECRETARIA_API_TOKEN equals SECRETARIA_WEBHOOK_TOKEN/m);
    assert.ok(!r.stderr.includes(same), "the token is never printed");
    // A simulated clock is not an error, but it is said loudly at start.
    r = await runCli(["--db", path, "daemon", "--once"], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /clock_simulated.*SECRETARIA_NOW is set/);
  });

  test("bad flags are usage errors (exit 2)", T, async () => {
    for (const args of [
      ["--schedule", "every minute"],
      ["--concurrency", "0"],
      ["--max-attempts", "x"],
      ["--rate-limit", "-1"],
      ["--port", "70000"],
      ["--log-format", "xml"],
    ]) {
      const r = await runCli(["--db", path, "daemon", "--once", ...args], { env: env() });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^secretaria: /);
    }
  });

  test("--log-format json: one JSON object per line; 401 pauses without burning, loudly, and the token never shows", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    const ids = await seedDue(db, { company: "clinica", n: 4 });
    fake.rejectTokens();
    const r = await runCli(["--db", path, "daemon", "--once", "--log-format", "json"], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.trimEnd().split("\n");
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const paused = events.filter((e) => e.event === "company_paused");
    assert.equal(paused.length, 1);
    assert.equal(paused[0]!.level, "error");
    assert.match(String(paused[0]!.error), /HTTP 401/);
    assert.match(String(paused[0]!.fix), /--whaticket-token/);
    assert.ok(!r.stderr.includes(TOKEN), "the token is never printed");
    for (const id of ids) {
      const row = (await getAppointment(db, id))!;
      assert.equal(row.followup_status, "scheduled");
      assert.equal(row.followup_attempts, 0);
    }
    assert.ok(fake.received.length >= 1);
  });

  test("two daemons started together on one database never send the same follow-up twice (3000 rows)", T, async () => {
    await addCompany(db, "a", { url: fake.url, token: TOKEN });
    await addCompany(db, "b", { url: fake.url, token: TOKEN });
    await seedDue(db, { company: "a", n: 2000, from: 0 });
    await seedDue(db, { company: "b", n: 1000, from: 10_000 });
    const args = ["--db", path, "daemon", "--once", "--rate-limit", "0", "--concurrency", "8", "--log-format", "json"];
    const [r1, r2] = await Promise.all([runCli(args, { env: env() }), runCli(args, { env: env() })]);
    assert.equal(r1.code, 0, r1.stderr.slice(-500));
    assert.equal(r2.code, 0, r2.stderr.slice(-500));
    const numbers = fake.received.map((m) => m.number);
    assert.equal(numbers.length, 3000);
    assert.equal(new Set(numbers).size, 3000, "no follow-up sent twice");
    assert.deepEqual(await statusCounts(db), { sent: 3000 });
    assert.equal(await auditCount(db, "followup_sent"), 3000);
    const sentBy = (r: { stderr: string }) => r.stderr.split("\n").filter((l) => l.includes('"event":"followup_sent"')).length;
    assert.equal(sentBy(r1) + sentBy(r2), 3000);
    // Each registered its own row, ran once and stopped.
    const daemons = await listDaemons(db, "2000-01-01T00:00:00.000Z");
    assert.equal(daemons.length, 2, JSON.stringify(daemons));
    assert.notEqual(daemons[0]!.id, daemons[1]!.id);
    for (const d of daemons) assert.deepEqual([d.schedule, d.last_success_at, d.stopped_at, d.simulated_clock], ["once", NOW, NOW, 1]);
  });

  test("kill -9 mid-burst, then a restart after the lease: every follow-up ends sent, none stuck, none lost", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    const N = 120;
    await seedDue(db, { company: "clinica", n: N });
    fake.setLatency(250);
    const first = spawnCli(["--db", path, "daemon", "--once", "--rate-limit", "0", "--concurrency", "8"], env());
    await until(() => fake.received.length >= 16, 30_000, "the burst to start");
    first.child.kill("SIGKILL");
    const exit = await first.exited;
    assert.equal(exit.signal, "SIGKILL");
    const atKill = await statusCounts(db);
    assert.ok((atKill.sending ?? 0) > 0, `the kill landed mid-burst: ${JSON.stringify(atKill)}`);
    assert.ok((atKill.sent ?? 0) < N);

    fake.setLatency(0);
    // Within the lease (2 min) the rows are left alone; after it they are claimed again.
    const early = await runCli(["--db", path, "daemon", "--once", "--rate-limit", "0"], { env: env({ SECRETARIA_NOW: new Date(T0.getTime() + 60_000).toISOString() }) });
    assert.equal(early.code, 0, early.stderr);
    assert.equal((await statusCounts(db)).sending, atKill.sending);
    const later = new Date(T0.getTime() + 3 * 60_000).toISOString();
    const r = await runCli(["--db", path, "daemon", "--once", "--rate-limit", "0"], { env: env({ SECRETARIA_NOW: later }) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /leases_reclaimed count=\d+/);
    assert.deepEqual(await statusCounts(db), { sent: N });
    const delivered = new Set(fake.received.filter((m) => m.status === 200).map((m) => m.number));
    for (let i = 0; i < N; i++) assert.ok(delivered.has(phoneFor(i)), `follow-up ${i} was delivered`);
    // Only the sends the kill cut short can have gone out twice: those in flight (at most --concurrency)
    // and those answered but still waiting for their group commit (at most another --concurrency).
    assert.ok(fake.received.length - N <= 2 * 8, `duplicates: ${fake.received.length - N}`);
  });

  test("SIGTERM mid-burst: exits 0 promptly, sends in flight recorded, nothing left in 'sending'", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    await seedDue(db, { company: "clinica", n: 80 });
    fake.setLatency(300);
    const d = spawnCli(["--db", path, "daemon", "--port", "0", "--rate-limit", "0", "--concurrency", "4"], env());
    await d.waitForStderr(/daemon_started url=http:\/\/127\.0\.0\.1:\d+/);
    await until(() => fake.received.length >= 6, 30_000, "the burst to start");
    d.child.kill("SIGTERM");
    const exit = await d.exited;
    assert.equal(exit.code, 0, d.stderr());
    assert.match(d.stderr(), /daemon_stopping signal=SIGTERM/);
    assert.match(d.stderr(), /daemon_stopped/);
    const counts = await statusCounts(db);
    assert.equal(counts.sending, undefined, JSON.stringify(counts));
    assert.ok((counts.scheduled ?? 0) > 0, "it stopped claiming");
    assert.equal(counts.sent, fake.deliveredCount, "every message Whaticket took is recorded");
    assert.ok(!d.stderr().includes(TOKEN));
    // Its row says where it ran and that it stopped (at its simulated now).
    const daemons = await listDaemons(db, "2000-01-01T00:00:00.000Z");
    assert.equal(daemons.length, 1, JSON.stringify(daemons));
    assert.equal(daemons[0]!.pid, d.child.pid);
    assert.match(daemons[0]!.http_url ?? "", /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(daemons[0]!.stopped_at, NOW);
    assert.equal(daemons[0]!.simulated_clock, 1);
  });

  test("SIGTERM with sends slower than 15 s (--send-timeout 20000): unsent claims go back at once, the stop waits for the sends, records them, exit 0, no error line", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    const ids = await seedDue(db, { company: "clinica", n: 6 });
    fake.setLatency(16_000); // longer than the old fixed 15 s stop wait, within the send timeout
    const d = spawnCli(["--db", path, "daemon", "--port", "0", "--rate-limit", "0", "--concurrency", "2", "--send-timeout", "20000"], env());
    await d.waitForStderr(/daemon_started/);
    await until(() => fake.received.length >= 2, 30_000, "two sends in flight");
    const inFlight = new Set(fake.received.map((m) => m.number));
    d.child.kill("SIGTERM");
    await d.waitForStderr(/daemon_stopping/);
    // The four claimed but never sent are back to scheduled while the daemon still waits.
    for (let i = 0; i < 500 && (await statusCounts(db)).scheduled !== 4; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await statusCounts(db)).scheduled, 4, "unsent claims given back");
    assert.equal(d.child.exitCode, null, "still waiting for the two sends in flight");
    const exit = await d.exited;
    assert.equal(exit.code, 0, d.stderr());
    assert.deepEqual(await statusCounts(db), { sent: 2, scheduled: 4 });
    for (const [i, id] of ids.entries()) {
      assert.equal((await getAppointment(db, id))!.followup_status, inFlight.has(phoneFor(i)) ? "sent" : "scheduled");
    }
    assert.equal(await auditCount(db, "followup_sent"), 2);
    assert.equal(fake.received.length, 2);
    assert.doesNotMatch(d.stderr(), / ERROR /, d.stderr());
    assert.doesNotMatch(d.stderr(), /not open|claims_released count=2\b|outcome_unknown/i, d.stderr());
    assert.match(d.stderr(), /daemon_stopped/);
  });

  test("a second signal stops at once, without waiting for the sends in flight", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    await seedDue(db, { company: "clinica", n: 4 });
    fake.failNext(4, "timeout"); // held until the client gives up (10 s)
    const d = spawnCli(["--db", path, "daemon", "--port", "0", "--rate-limit", "0"], env());
    await d.waitForStderr(/daemon_started/);
    await until(() => fake.received.length >= 4, 30_000, "the sends to be in flight");
    d.child.kill("SIGTERM");
    await d.waitForStderr(/daemon_stopping/);
    d.child.kill("SIGTERM");
    const exit = await d.exited;
    assert.ok(exit.signal === "SIGTERM" || exit.code !== 0, JSON.stringify(exit));
    assert.match(d.stderr(), /daemon_killed/);
    // Rows it held stay leased and are reclaimed by the next daemon after the lease.
    assert.equal((await statusCounts(db)).sending, 4);
    // Killed, not stopped: its row is left as a daemon that went silent.
    const daemons = await listDaemons(db, "2000-01-01T00:00:00.000Z");
    assert.deepEqual(daemons.map((x) => [x.pid, x.stopped_at]), [[d.child.pid, null]]);
  });
});

describe("secretaria followups resend (subprocess)", () => {
  let fake: FakeWhaticket;
  let path: string;
  let db: Store;
  let ids: number[];

  before(async () => {
    fake = await startFakeWhaticket({ token: TOKEN });
    path = tempDb();
    db = await migratedDb(path);
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    ids = await seedDue(db, { company: "clinica", n: 8, clientName: () => "Ana Souza" });
    const set = (id: number, cols: string) => db.run(`UPDATE appointments SET ${cols} WHERE id = ?`, [id]);
    await set(ids[0]!, "followup_status = 'sent', followup_sent_at = '2026-11-24T10:00:00.000Z'");
    await set(ids[1]!, "followup_status = 'feedback', followup_response = 'feedback', followup_sent_at = '2026-11-24T10:00:00.000Z'");
    await set(ids[2]!, "followup_status = 'failed', followup_last_error = 'HTTP 500'");
    await set(ids[3]!, "followup_status = 'positive', followup_response = 'positive'");
    await set(ids[4]!, "followup_status = 'negative', followup_response = 'negative'");
    await set(ids[5]!, "followup_status = 'sent', allow_followup = 0");
    // ids[6], ids[7]: scheduled
  });
  after(async () => {
    await fake.stop();
    await db?.close();
  });
  beforeEach(() => fake.reset());

  const resend = (id: number | string, ...flags: string[]) => runCli(["--db", path, "followups", "resend", String(id), ...flags], { env: env() });

  test("without a terminal, --yes is required (exit 2) and nothing is sent", T, async () => {
    const r = await resend(ids[0]!);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^secretaria: .*--yes/);
    assert.equal(fake.received.length, 0);
  });

  test("sent, feedback and failed: sent again, awaiting a reply, audit {resend: true}", T, async () => {
    for (const id of [ids[0]!, ids[1]!, ids[2]!]) {
      const r = await resend(id, "--yes");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^resent follow-up ${id} to Ana Souza`));
      const row = (await getAppointment(db, id))!;
      assert.equal(row.followup_status, "sent");
      assert.equal(row.followup_response, null);
      assert.equal(row.followup_sent_at, NOW);
    }
    assert.equal(fake.received.length, 3);
    assert.ok(fake.received.every((m) => m.token === TOKEN && /Ana/.test(m.body)));
    const payloads = (await db.all<{ payload: string }>("SELECT payload FROM audit_log WHERE action = 'followup_sent'")).map((p) => JSON.parse(p.payload) as { resend?: boolean });
    assert.equal(payloads.filter((p) => p.resend === true).length, 3);
    // Just sent: a second resend is refused with the reason and nothing goes out; --force sends (issue 13).
    const again = await resend(ids[0]!, "--yes");
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^secretaria: cannot resend follow-up \d+: it was sent 0 min ago, less than 12 hours: pass --force/);
    assert.equal(fake.received.length, 3);
    const json = await resend(ids[0]!, "--yes", "--json", "--force");
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout);
    assert.equal(out.id, ids[0]);
    assert.equal(out.followup_status, "sent");
  });

  test("refused with a clear reason (exit 1) for scheduled, positive, negative and no consent; zero POSTs", T, async () => {
    const cases: [number, RegExp][] = [
      [ids[6]!, /not been sent yet \(scheduled\)/],
      [ids[3]!, /already answered \(positive\)/],
      [ids[4]!, /already answered \(negative\)/],
      [ids[5]!, /no consent/],
    ];
    for (const [id, reason] of cases) {
      const r = await resend(id, "--yes");
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^secretaria: cannot resend follow-up ${id}: `));
      assert.match(r.stderr, reason);
    }
    const unknown = await resend(99999, "--yes");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no appointment 99999/);
    const bad = await resend("abc", "--yes");
    assert.equal(bad.code, 2);
    assert.equal(fake.received.length, 0);
  });

  test("Whaticket rejecting the token: exit 1, says how to fix it, never shows the token", T, async () => {
    fake.rejectTokens();
    const r = await resend(ids[0]!, "--yes", "--force");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /HTTP 401.*companies add --id clinica --whaticket-token/);
    assert.ok(!r.stderr.includes(TOKEN) && !r.stdout.includes(TOKEN));
  });
});
