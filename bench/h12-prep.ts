import { FakeWhaticket } from "../src/gateway/fake-whaticket.js";
import { addDueFollowups, copyDb } from "./lib/datasets.js";
const fake = new FakeWhaticket({ record: false, token: "bench-token-not-secret", port: 47123 });
const url = await fake.start();
if (process.argv[2] === "prep") {
  copyDb("bench/data/agenda-1000000.db", "/tmp/h12/tpl.db");
  await addDueFollowups("/tmp/h12/tpl.db", 20000, new Date("2026-11-25T15:00:00.000Z"), url);
  await fake.stop();
} else {
  console.log("fake on", url);
  setInterval(() => console.log("delivered", fake.deliveredCount), 5000);
}
