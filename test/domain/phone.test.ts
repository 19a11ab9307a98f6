import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { maskPhone, normalizePhone, phoneFromJid, phoneVariants, phonesMatch } from "../../src/domain/phone.js";

describe("normalizePhone", () => {
  test("Brazilian numbers in the ways people type them", () => {
    for (const [raw, want] of [
      ["+55 (11) 99999-0000", "5511999990000"],
      ["(11) 99999-0000", "5511999990000"],
      ["11999990000", "5511999990000"],
      ["011 99999 0000", "5511999990000"], // trunk prefix
      ["0 21 11 99999-0000", "5511999990000"], // trunk + long-distance carrier
      ["5511999990000", "5511999990000"],
      ["  55 11 99999.0000 ", "5511999990000"],
      ["(21) 3333-4444", "552133334444"], // landline, 8 digits
      ["551199990000", "551199990000"], // old mobile without the ninth digit, kept as is
      ["+55 61 98888 7777", "5561988887777"],
      ["0055 11 99999 0000", "5511999990000"],
    ] as const) {
      assert.equal(normalizePhone(raw), want, raw);
    }
  });

  test("10–11 digits are read as national even when they start with 55 (DDD 55 is Rio Grande do Sul)", () => {
    assert.equal(normalizePhone("55999990000"), "5555999990000");
  });

  test("other countries with '+' (E.164, 8–15 digits)", () => {
    assert.equal(normalizePhone("+44 20 7946 0958"), "442079460958");
    assert.equal(normalizePhone("+1 (212) 555-0100"), "12125550100");
    assert.equal(normalizePhone("+351 912 345 678"), "351912345678");
    assert.equal(normalizePhone("+1234567"), null); // 7 digits
    assert.equal(normalizePhone("+1234567890123456"), null); // 16 digits
    assert.equal(normalizePhone("+0 11 99999 0000"), null);
  });

  test("another default country", () => {
    assert.equal(normalizePhone("912 345 678", "351"), "351912345678");
    assert.equal(normalizePhone("351912345678", "351"), "351912345678");
    assert.equal(normalizePhone("020 7946 0958", "44"), "442079460958");
  });

  test("nonsense is refused", () => {
    for (const raw of [
      "", "   ", "abc", "11 9999-OOOO", "(11) 99999-0000 ramal 2", "12345", "999990000", // 9 digits, no DDD
      "(10) 99999-0000", "(20) 99999-0000", "(30) 3333-4444", // no such DDD
      "(11) 89999-0000", // 9-digit numbers are mobiles starting with 9
      "(11) 1333-4444", // subscriber numbers do not start with 0/1
      "+55 11 9999", "+55 10 99999 0000", "55119999900001", "5511999990000000", "11 99999-0000+", "tel:11999990000",
    ]) {
      assert.equal(normalizePhone(raw), null, raw);
    }
  });
});

describe("phoneFromJid", () => {
  test("person JIDs give the digits", () => {
    assert.equal(phoneFromJid("5511999990000@s.whatsapp.net"), "5511999990000");
    assert.equal(phoneFromJid("551199990000@s.whatsapp.net"), "551199990000");
    assert.equal(phoneFromJid("5511999990000:12@s.whatsapp.net"), "5511999990000"); // device suffix
    assert.equal(phoneFromJid("5511999990000@c.us"), "5511999990000");
  });

  test("groups, broadcasts, LIDs and junk give null", () => {
    for (const jid of [
      "120363025246125486@g.us", "5511999990000-1600000000@g.us", "status@broadcast", "123456789012345@lid",
      "120363000000000000@newsletter", "5511999990000", "@s.whatsapp.net", "abc@s.whatsapp.net", "123@s.whatsapp.net",
    ]) {
      assert.equal(phoneFromJid(jid), null, jid);
    }
  });
});

describe("maskPhone", () => {
  test("keeps country and area code and the last two digits", () => {
    assert.equal(maskPhone("5511999990000"), "5511*******00");
    assert.equal(maskPhone("552133334444"), "5521******44");
    assert.equal(maskPhone("442079460958"), "4420******58");
  });

  test("formatted or short input never leaks the middle", () => {
    assert.equal(maskPhone("+55 (11) 99999-0000"), "5511*******00");
    assert.equal(maskPhone("12345"), "*****");
    assert.equal(maskPhone(""), "");
  });
});

describe("phoneVariants / phonesMatch", () => {
  test("Brazilian mobiles with and without the ninth digit", () => {
    assert.deepEqual(phoneVariants("5511999990000"), ["5511999990000", "551199990000"]);
    assert.deepEqual(phoneVariants("551199990000"), ["551199990000", "5511999990000"]);
    assert.deepEqual(phoneVariants("551178880000"), ["551178880000", "5511978880000"]);
  });

  test("landlines and foreign numbers have one form", () => {
    assert.deepEqual(phoneVariants("552133334444"), ["552133334444"]);
    assert.deepEqual(phoneVariants("442079460958"), ["442079460958"]);
    assert.deepEqual(phoneVariants("5510999990000"), ["5510999990000"]);
  });

  test("phonesMatch accepts digits, formatted numbers and JIDs", () => {
    assert.ok(phonesMatch("5511999990000", "551199990000@s.whatsapp.net"));
    assert.ok(phonesMatch("(11) 99999-0000", "5511999990000"));
    assert.ok(phonesMatch("551199990000", "+55 11 99999-0000"));
    assert.ok(!phonesMatch("5511999990000", "5511999990001"));
    assert.ok(!phonesMatch("552133334444", "5521933334444")); // a landline gains no ninth digit
    assert.ok(!phonesMatch("5511999990000", "120363025246125486@g.us"));
    assert.ok(!phonesMatch("", ""));
  });
});

describe("gatewayPhone (numbers as WhatsApp gateways post them)", () => {
  test("foreign numbers without '+' read as E.164; Brazilian ones as normalizePhone reads them", async () => {
    const { gatewayPhone } = await import("../../src/domain/phone.js");
    assert.equal(gatewayPhone("351912345678"), "351912345678");
    assert.equal(gatewayPhone("12025550123"), "12025550123");
    assert.equal(gatewayPhone("447911123456"), "447911123456");
    assert.equal(gatewayPhone("+351912345678"), "351912345678");
    assert.equal(gatewayPhone("5511999990000"), "5511999990000");
    assert.equal(gatewayPhone("551199990000"), "551199990000");
    assert.equal(gatewayPhone("11999990000"), "5511999990000");
    for (const bad of ["5510999990000", "0351912345678", "1234567", "1234567890123456", "abc", "351912345678x"]) assert.equal(gatewayPhone(bad), null, bad);
  });
});
