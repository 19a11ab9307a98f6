/**
 * A second "daemon" in a worker thread: its own connection to the same file, processing the given
 * message ids, to show that concurrent deliveries of one message id are applied once.
 */
import { parentPort, workerData } from "node:worker_threads";
import { fixedClock } from "../../src/clock.js";
import { silentLogger } from "../../src/logger.js";
import { createReplyService } from "../../src/services/reply-service.js";
import { openStore } from "../../src/store/open.js";

const data = workerData as { dbPath: string; now: string; phone: string; text: string; ids: string[] };
const db = await openStore(data.dbPath);
const svc = createReplyService({
  store: db,
  clock: fixedClock(new Date(data.now)),
  logger: silentLogger,
  sender: { send: async () => ({ kind: "sent", status: 200, durationMs: 0 }) },
});
let duplicates = 0;
let applied = 0;
for (const id of data.ids) {
  const r = await svc.processInbound({ phone: data.phone, text: data.text, messageId: id });
  if (r.duplicate) duplicates++;
  else applied++;
}
await db.close();
parentPort?.postMessage({ duplicates, applied });
