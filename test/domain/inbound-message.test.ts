import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  CLOCK_SKEW_MARGIN_MS, baileysNonText, capInboundText, inboundDedupeKey, messageTimestamp, olderThanFollowup, whaticketNonText,
} from "../../src/domain/inbound-message.js";

describe("inbound messages (pure)", () => {
  test("messageTimestamp: seconds, numeric strings, protobuf Long, milliseconds; nonsense is null", () => {
    const at = new Date("2026-11-30T19:30:00.000Z");
    const s = at.getTime() / 1000;
    assert.deepEqual(messageTimestamp(s), at);
    assert.deepEqual(messageTimestamp(String(s)), at);
    assert.deepEqual(messageTimestamp({ low: s, high: 0, unsigned: true }), at);
    const y2040 = new Date("2040-01-01T00:00:00.000Z");
    assert.ok((y2040.getTime() / 1000 | 0) < 0);
    assert.deepEqual(messageTimestamp({ low: y2040.getTime() / 1000 | 0, high: 0, unsigned: false }), y2040, "a Long's low word past 2038 arrives signed");
    assert.deepEqual(messageTimestamp(at.getTime()), at);
    for (const bad of [undefined, null, "", "abc", -5, 0, 12, Number.NaN, {}, { low: "1" }, [s], s * 1e6, "1.5e9"]) assert.equal(messageTimestamp(bad), null, String(bad));
  });

  test("olderThanFollowup: beyond the 2-minute margin only; unknown instants never", () => {
    const sent = "2026-11-30T19:00:00.000Z";
    assert.equal(CLOCK_SKEW_MARGIN_MS, 120_000);
    assert.equal(olderThanFollowup(new Date("2026-11-30T18:57:59.000Z"), sent), true);
    assert.equal(olderThanFollowup(new Date("2026-11-30T18:58:00.000Z"), sent), false);
    assert.equal(olderThanFollowup(new Date("2026-11-30T19:10:00.000Z"), sent), false);
    assert.equal(olderThanFollowup(null, sent), false);
    assert.equal(olderThanFollowup(new Date(0), null), false);
  });

  test("capInboundText keeps the first 4,096 characters, never half an emoji, and marks the cut", () => {
    assert.deepEqual(capInboundText("sim"), { text: "sim", originalLength: null, stored: "sim" });
    const cut = capInboundText("a".repeat(5000));
    assert.equal(cut.text.length, 4096);
    assert.equal(cut.originalLength, 5000);
    assert.equal(cut.stored, `${"a".repeat(4096)} … [truncated: 5000 characters in all]`);
    const emoji = capInboundText(`${"a".repeat(4095)}😀tail`);
    assert.equal(emoji.text, "a".repeat(4095), "the surrogate pair is not split");
  });

  test("inboundDedupeKey: same phone, text and second → same key; no timestamp → none", () => {
    const m = { phone: "5511999990000", text: "sim", sentAt: new Date("2026-11-30T19:30:00.400Z") };
    const k = inboundDedupeKey(m);
    assert.match(k!, /^dedupe:[0-9a-f]{64}$/);
    assert.equal(inboundDedupeKey({ ...m, sentAt: new Date("2026-11-30T19:30:00.900Z") }), k);
    assert.notEqual(inboundDedupeKey({ ...m, text: "sim!" }), k);
    assert.notEqual(inboundDedupeKey({ ...m, sentAt: new Date("2026-11-30T19:30:01.000Z") }), k);
    assert.notEqual(inboundDedupeKey({ ...m, companyId: "odonto" }), k);
    assert.equal(inboundDedupeKey({ ...m, sentAt: null }), null);
  });

  test("non-text kinds of Baileys and Whaticket messages", () => {
    assert.deepEqual(baileysNonText({ audioMessage: { ptt: true } }), { kind: "voice" });
    assert.deepEqual(baileysNonText({ audioMessage: {} }), { kind: "audio" });
    assert.deepEqual(baileysNonText({ ephemeralMessage: { message: { stickerMessage: {} } } }), { kind: "sticker" });
    assert.deepEqual(baileysNonText({ reactionMessage: { text: "❤️" } }), { kind: "reaction", detail: "❤️" });
    assert.equal(baileysNonText({ reactionMessage: { text: "" } }), null);
    assert.equal(baileysNonText({ protocolMessage: {} }), null);
    assert.deepEqual(whaticketNonText("ptt", null), { kind: "voice" });
    assert.deepEqual(whaticketNonText("audio", "audio.ogg"), { kind: "audio" });
    assert.deepEqual(whaticketNonText("image", "IMG-2026.jpeg"), { kind: "image" });
    assert.equal(whaticketNonText("image", "olha a foto"), null, "a caption is text");
    assert.equal(whaticketNonText("chat", "sim"), null);
    assert.equal(whaticketNonText(undefined, "sim"), null);
    assert.deepEqual(whaticketNonText("vcard", "BEGIN:VCARD"), { kind: "contact" });
  });
});
