import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { parse } from "csv-parse/sync";
import { UsageError, UserError } from "../../src/errors.js";
import {
  ImportDecodeError, SNIFF_BYTES, createImportDecoder, decodeImportBytes, decodeImportStream, decodeWindows1252, findInvalidUtf8,
  parseEncodingOption,
  type ImportDecoder, type ImportEncodingOption,
} from "../../src/services/import-decode.js";
import { mapHeader, recordFromRow } from "../../src/domain/import-mapping.js";
import {
  parseAppointmentStatus, parseConsent, parseImportDateTime, parseImportEndTime, parseImportPhone, type ValueResult,
} from "../../src/domain/import-values.js";
import { dedupeRecords, type DedupeRecord } from "../../src/domain/import-dedupe.js";

const JOAO_1252 = [0x4a, 0x6f, 0xe3, 0x6f]; // "João" in Windows-1252
const JOAO_UTF8 = [0x4a, 0x6f, 0xc3, 0xa3, 0x6f];
const bytes = (...parts: (string | number[] | Uint8Array)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p))));

/** Feeds `buf` to a streaming decoder in chunks of `size` bytes, as a file stream would. */
function streamed(buf: Uint8Array, size: number, encoding: ImportEncodingOption = "auto"): { text: string; decoder: ImportDecoder } {
  const decoder = createImportDecoder(buf.subarray(0, Math.min(size, buf.length)), encoding);
  let text = "";
  for (let i = 0; i < buf.length; i += size) text += decoder.decode(buf.subarray(i, i + size), true);
  text += decoder.decode(new Uint8Array(0), false);
  return { text, decoder };
}

function decodeError(fn: () => unknown): ImportDecodeError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ImportDecodeError, `expected an ImportDecodeError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected an ImportDecodeError");
}

describe("decodeImportBytes: auto", () => {
  test("Windows-1252 (Excel in Brazil): decoded, with a note naming the first non-UTF-8 line", () => {
    const d = decodeImportBytes(bytes("id;nome\n1;", JOAO_1252, "\n"));
    assert.equal(d.text, "id;nome\n1;João\n");
    assert.equal(d.encoding, "windows-1252");
    assert.equal(d.note, "read as Windows-1252 (Excel's default in Brazil): line 2 has byte 0xE3, which is not UTF-8");
  });

  test("Windows-1252's own punctuation in 0x80–0x9F: € – — “ ”", () => {
    assert.equal(decodeImportBytes(bytes([0x80, 0x20, 0x96, 0x20, 0x97, 0x20, 0x93, 0x78, 0x94])).text, "€ – — “x”");
  });

  test("UTF-8 without a BOM: no note", () => {
    assert.deepEqual(decodeImportBytes(bytes(JOAO_UTF8, "\n")), { text: "João\n", encoding: "utf-8" });
  });

  test("UTF-8 with a BOM (Excel's \"CSV UTF-8\"): the BOM is dropped", () => {
    assert.deepEqual(decodeImportBytes(bytes([0xef, 0xbb, 0xbf], JOAO_UTF8)), { text: "João", encoding: "utf-8" });
  });

  test("plain ASCII is UTF-8; an empty file is empty", () => {
    assert.deepEqual(decodeImportBytes(Buffer.from("a,b\r\n1,2\r\n")), { text: "a,b\r\n1,2\r\n", encoding: "utf-8" });
    assert.deepEqual(decodeImportBytes(Buffer.alloc(0)), { text: "", encoding: "utf-8" });
  });

  test("a U+FEFF after the start is text, not a BOM", () => {
    assert.equal(decodeImportBytes(bytes("a", [0xef, 0xbb, 0xbf], "b")).text, "a\uFEFFb");
  });

  test("a UTF-8 file cut in the middle of a character reads as Windows-1252", () => {
    const d = decodeImportBytes(bytes("Jo", [0xc3]));
    assert.equal(d.text, "JoÃ");
    assert.equal(d.encoding, "windows-1252");
  });

  test("UTF-16 with a BOM (Excel's \"Unicode text\")", () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("João;1\n", "utf16le")]);
    assert.deepEqual(decodeImportBytes(le), { text: "João;1\n", encoding: "utf-16le", note: "read as UTF-16 (byte-order mark; Excel's \"Unicode text\")" });
    const be = Buffer.from(le);
    be.swap16();
    assert.equal(decodeImportBytes(be).text, "João;1\n");
    assert.equal(decodeImportBytes(be).encoding, "utf-16be");
  });
});

describe("decodeImportBytes: explicit encodings", () => {
  test("utf-8 with an invalid byte: an error naming line, byte and offset, and the way out", () => {
    const err = decodeError(() => decodeImportBytes(bytes("id;nome\r\n1;Ana\r\n2;", JOAO_1252, "\r\n"), "utf-8"));
    assert.equal(err.message, "line 3: byte 0xE3 (offset 20 in the file) is not valid UTF-8: pass --encoding windows-1252 if the file came from Excel");
    assert.equal(err.line, 3);
    assert.equal(err.offset, 20);
    assert.equal(err.byte, 0xe3);
    assert.ok(err instanceof UserError, "the CLI prints it as one line");
  });

  test("utf-8: line numbers count \\n, \\r\\n and a lone \\r once each", () => {
    assert.equal(decodeError(() => decodeImportBytes(bytes("a\nb\r\nc\rd\r\r\n", [0xff]), "utf-8")).line, 6);
    assert.equal(decodeError(() => decodeImportBytes(bytes([0xff]), "utf-8")).line, 1);
    assert.equal(decodeError(() => decodeImportBytes(bytes("a\r", [0xff]), "utf-8")).line, 2);
  });

  test("utf-8: a file ending inside a character says so", () => {
    const err = decodeError(() => decodeImportBytes(bytes("a\nJo", [0xc3]), "utf-8"));
    assert.equal(err.message, "line 2: byte 0xC3 (offset 4 in the file) starts a UTF-8 character that the file ends before completing: the file is cut short, or pass --encoding windows-1252 if it came from Excel");
  });

  test("utf-8: valid text decodes, BOM or not", () => {
    assert.equal(decodeImportBytes(bytes([0xef, 0xbb, 0xbf], JOAO_UTF8), "utf-8").text, "João");
    assert.equal(decodeImportBytes(bytes(JOAO_UTF8), "utf-8").note, undefined);
  });

  test("windows-1252 reads every byte, even UTF-8 (that is what was asked)", () => {
    assert.deepEqual(decodeImportBytes(bytes(JOAO_1252), "windows-1252"), { text: "João", encoding: "windows-1252" });
    assert.equal(decodeImportBytes(bytes(JOAO_UTF8), "windows-1252").text, "JoÃ£o");
  });

  test("latin1 reads as Windows-1252, as browsers do", () => {
    assert.deepEqual(decodeImportBytes(bytes(JOAO_1252, [0x20, 0x96]), "latin1"), { text: "João –", encoding: "windows-1252" });
  });

  test("a BOM contradicting --encoding is an error, not mojibake", () => {
    assert.throws(() => decodeImportBytes(bytes([0xef, 0xbb, 0xbf], "a"), "windows-1252"), {
      message: "the file starts with a UTF-8 byte-order mark, so it is UTF-8, not windows-1252: pass --encoding utf-8 or drop --encoding",
    });
    assert.throws(() => decodeImportBytes(Buffer.from([0xff, 0xfe, 0x61, 0]), "utf-8"), /the file is UTF-16 .*: drop --encoding/);
  });
});

describe("binary files", () => {
  test("an .xlsx workbook: save as CSV", () => {
    assert.throws(() => decodeImportBytes(bytes("PK", [3, 4, 20, 0, 6, 0])), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /^this is an Excel workbook \(\.xlsx\).*not a CSV: in Excel, Save As → "CSV UTF-8/);
      return true;
    });
  });

  test("an old .xls workbook", () => {
    assert.throws(() => decodeImportBytes(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), "windows-1252"), /old Excel workbook \(\.xls\)/);
  });

  test("NUL bytes (UTF-16 without a BOM, or any binary)", () => {
    assert.throws(() => decodeImportBytes(Buffer.from("a;b\n", "utf16le")), /NUL bytes/);
  });
});

describe("decodeWindows1252", () => {
  test("the WHATWG table for 0x80–0x9F (Node's TextDecoder gets these wrong since 20.18.3: nodejs/node#60888)", () => {
    const want = "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ";
    assert.equal(want.length, 32);
    assert.equal(decodeWindows1252(Buffer.from(Array.from({ length: 32 }, (_, i) => 0x80 + i))), want);
  });

  test("every other byte is its Latin-1 character", () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const text = decodeWindows1252(all);
    assert.equal(text.length, 256);
    for (let i = 0; i < 256; i++) if (i < 0x80 || i > 0x9f) assert.equal(text.charCodeAt(i), i);
  });

  test("repeated calls (the global regex keeps no state between them)", () => {
    for (let n = 0; n < 3; n++) assert.equal(decodeWindows1252(Buffer.from([0x93, 0x61, 0x94])), "“a”");
  });
});

describe("parseEncodingOption", () => {
  test("names and aliases", () => {
    for (const [raw, want] of [
      ["auto", "auto"], ["UTF-8", "utf-8"], ["utf8", "utf-8"], ["windows-1252", "windows-1252"], ["CP1252", "windows-1252"],
      ["win1252", "windows-1252"], ["latin1", "latin1"], ["ISO-8859-1", "latin1"], [" latin-1 ", "latin1"],
    ] as const) {
      assert.equal(parseEncodingOption(raw), want, raw);
    }
  });

  test("anything else is a usage error listing the choices", () => {
    assert.throws(() => parseEncodingOption("ebcdic"), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.message, '--encoding "ebcdic" is not known: use auto, utf-8, windows-1252 (Excel) or latin1');
      return true;
    });
  });
});

describe("findInvalidUtf8", () => {
  test("the first byte of the first bad sequence", () => {
    assert.equal(findInvalidUtf8(bytes("abc")), -1);
    assert.equal(findInvalidUtf8(bytes(JOAO_UTF8)), -1);
    assert.equal(findInvalidUtf8(bytes(JOAO_1252)), 2);
    assert.equal(findInvalidUtf8(bytes("a", [0x80])), 1, "stray continuation byte");
    assert.equal(findInvalidUtf8(bytes([0xc0, 0x80])), 0, "overlong");
    assert.equal(findInvalidUtf8(bytes([0xe0, 0x80, 0x80])), 0, "overlong 3-byte");
    assert.equal(findInvalidUtf8(bytes([0xed, 0xa0, 0x80])), 0, "surrogate");
    assert.equal(findInvalidUtf8(bytes([0xf4, 0x90, 0x80, 0x80])), 0, "above U+10FFFF");
    assert.equal(findInvalidUtf8(bytes([0xf5, 0x80, 0x80, 0x80])), 0);
    assert.equal(findInvalidUtf8(bytes([0xf0, 0x9f, 0x98, 0x80])), -1, "an emoji");
  });

  test("a character cut at the end: invalid only when final", () => {
    assert.equal(findInvalidUtf8(bytes("ab", [0xe2, 0x82]), true), 2);
    assert.equal(findInvalidUtf8(bytes("ab", [0xe2, 0x82]), false), -1);
    assert.equal(findInvalidUtf8(bytes("ab", [0xe2, 0x41]), false), 2, "not cut: broken");
  });

  test("agrees with TextDecoder on random bytes", () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16) & 0xff;
    const fatal = new TextDecoder("utf-8", { fatal: true });
    for (let n = 0; n < 3000; n++) {
      // Mostly valid-looking bytes, so that both outcomes are common.
      const buf = Buffer.from(Array.from({ length: 1 + (n % 9) }, () => { const b = rand(); return b < 100 ? b & 0x7f : b; }));
      let valid = true;
      try {
        fatal.decode(buf);
      } catch {
        valid = false;
      }
      assert.equal(findInvalidUtf8(buf) === -1, valid, buf.toString("hex"));
    }
  });
});

describe("createImportDecoder: streaming", () => {
  const utf8 = Buffer.from("\uFEFFCódigo;Paciente\r\n1;João Araújo 😀\r\n2;Ação – ok\r\n");
  const cp1252 = bytes("C", [0xf3], "digo;Paciente\r\n1;Jo", [0xe3], "o Ara", [0xfa], "jo\r\n2;A", [0xe7, 0xe3], "o ", [0x96], " ok\r\n");
  const want = "Código;Paciente\r\n1;João Araújo 😀\r\n2;Ação – ok\r\n";

  test("any chunk size gives the same text (characters split across chunks)", () => {
    for (let size = 1; size <= 9; size++) {
      const u = streamed(utf8, size);
      assert.equal(u.text, want, `utf-8, chunks of ${size}`);
      assert.equal(u.decoder.encoding, "utf-8");
      const c = streamed(cp1252, size);
      assert.equal(c.text, want.replace(" 😀", ""), `windows-1252, chunks of ${size}`);
      assert.equal(c.decoder.encoding, "windows-1252");
      assert.equal(streamed(utf8, size, "utf-8").text, want);
      assert.equal(streamed(cp1252, size, "windows-1252").text, want.replace(" 😀", ""));
    }
  });

  test("a long ASCII start stays undecided; the first Windows-1252 byte switches without changing what came before", () => {
    const line = "1001;Ana Souza;(92) 99123-4567;24/11/2026;14:00\n";
    const lines = Math.ceil((SNIFF_BYTES * 2) / line.length);
    const buf = bytes(line.repeat(lines), "1002;", JOAO_1252, "\n");
    for (const size of [SNIFF_BYTES, 4096, 1000]) {
      const { text, decoder } = streamed(buf, size);
      assert.equal(text, line.repeat(lines) + "1002;João\n");
      assert.equal(decoder.encoding, "windows-1252");
      assert.equal(decoder.note, `read as Windows-1252 (Excel's default in Brazil): line ${lines + 1} has byte 0xE3, which is not UTF-8`);
    }
  });

  test("…or UTF-8, when its first accents are UTF-8", () => {
    const buf = bytes("a\n".repeat(SNIFF_BYTES), "1;", JOAO_UTF8, "\n");
    const { text, decoder } = streamed(buf, 1000);
    assert.equal(text, "a\n".repeat(SNIFF_BYTES) + "1;João\n");
    assert.equal(decoder.encoding, "utf-8");
    assert.equal(decoder.note, undefined);
  });

  test("UTF-8 decided early, an invalid byte later: an error naming its line, across chunks", () => {
    const head = bytes("id;nome\n1;", JOAO_UTF8, "\n");
    const filler = "2;Ana\n".repeat(20_000);
    const buf = bytes(head, filler, "3;Jo", [0xe3], "o\n");
    const line = 2 + 20_000 + 1;
    const offset = head.length + filler.length + 4;
    for (const size of [SNIFF_BYTES, 777, 3]) {
      const err = decodeError(() => streamed(buf, size));
      assert.equal(err.line, line, `chunks of ${size}`);
      assert.equal(err.offset, offset);
      assert.equal(err.message, `line ${line}: byte 0xE3 (offset ${offset} in the file) is not valid UTF-8: the lines before were UTF-8, so the file mixes encodings: re-export it, or pass --encoding windows-1252 if it came from Excel`);
    }
  });

  test("explicit utf-8: a lead byte at a chunk's end, its bad follower in the next", () => {
    const buf = bytes("a\r\nb\r\nJo", [0xc3], "o\r\n");
    for (let size = 1; size <= 10; size++) {
      const err = decodeError(() => streamed(buf, size, "utf-8"));
      assert.equal(err.line, 3, `chunks of ${size}`);
      assert.equal(err.offset, 8);
      assert.equal(err.byte, 0xc3);
    }
  });

  test("\\r\\n split across chunks is one line break", () => {
    const buf = bytes("a\r\nb\r\nc\r\n", [0xff]);
    for (let size = 1; size <= 4; size++) assert.equal(decodeError(() => streamed(buf, size, "utf-8")).line, 4, `chunks of ${size}`);
    // A lone \r ending one chunk, the bad byte starting the next.
    assert.equal(decodeError(() => streamed(bytes("a\r", [0xff]), 2, "utf-8")).line, 2);
    assert.equal(decodeError(() => streamed(bytes("a\rb\r", [0xff]), 2, "utf-8")).line, 3);
  });

  test("a BOM split across chunks is still dropped", () => {
    assert.equal(streamed(bytes([0xef, 0xbb, 0xbf], "ab"), 1).text, "ab");
  });
});

describe("decodeImportStream", () => {
  test("sniffs, then yields text chunk by chunk; the decoder reports the encoding", async () => {
    const chunks = [bytes("id;nome\n"), bytes("1;Jo", [0xe3]), bytes("o\n")];
    let decoder: ImportDecoder | undefined;
    let text = "";
    for await (const t of decodeImportStream(Readable.from(chunks), "auto", (d) => (decoder = d))) text += t;
    assert.equal(text, "id;nome\n1;João\n");
    assert.equal(decoder?.encoding, "windows-1252");
    assert.match(decoder?.note ?? "", /line 2 has byte 0xE3/);
  });

  test("a big stream: more than the sniff window", async () => {
    const line = "1;João;(92) 99123-4567\n";
    const buf = Buffer.from(line.repeat(10_000));
    const chunks = Array.from({ length: Math.ceil(buf.length / 10_000) }, (_, i) => buf.subarray(i * 10_000, (i + 1) * 10_000));
    let text = "";
    for await (const t of decodeImportStream(Readable.from(chunks))) text += t;
    assert.equal(text, line.repeat(10_000));
  });

  test("errors from the decoder reach the reader", async () => {
    const gen = decodeImportStream(Readable.from([bytes("a\n", [0xe3])]), "utf-8");
    await assert.rejects(async () => {
      for await (const _ of gen) void _;
    }, /line 2: byte 0xE3/);
  });

  test("a stream with setEncoding (strings) is refused: it was decoded already", async () => {
    await assert.rejects(async () => {
      for await (const _ of decodeImportStream(Readable.from(["text"]))) void _;
    }, /needs bytes: do not call setEncoding/);
  });
});

describe("a clinic's Excel export (test/fixtures/clinic-export-cp1252.csv)", () => {
  const fixture = readFileSync(new URL("../fixtures/clinic-export-cp1252.csv", import.meta.url));
  const ZONE = "America/Manaus"; // DDD 92: UTC−4
  const value = <T>(r: ValueResult<T>, what: string): T => {
    assert.ok(r.ok, `${what}: ${r.ok ? "" : r.reason}`);
    return r.value;
  };

  test("the bytes are Windows-1252, with Excel's CRLF", () => {
    assert.equal(fixture.subarray(0, 3).toString("latin1"), "C\u00F3d");
    assert.equal(fixture[1], 0xf3, "ó is one byte");
    assert.ok(fixture.includes(Buffer.from([0x96])), "an en dash, Windows-1252 only");
    assert.equal(findInvalidUtf8(fixture) !== -1, true, "not UTF-8");
    assert.ok(fixture.includes(Buffer.from("\r\n")));
  });

  test("auto reads it as Windows-1252, noting the header's ó; --encoding utf-8 refuses it at line 1", () => {
    const d = decodeImportBytes(fixture);
    assert.equal(d.encoding, "windows-1252");
    assert.equal(d.note, "read as Windows-1252 (Excel's default in Brazil): line 1 has byte 0xF3, which is not UTF-8");
    assert.ok(d.text.startsWith("Código;Paciente;Celular;Data;Hora início;Hora fim;Situação;Aceita WhatsApp;Convênio;Observações\r\n"));
    assert.ok(d.text.includes("Retorno – trazer exames"));
    assert.ok(d.text.includes("“Prefere WhatsApp”"));
    assert.match(decodeError(() => decodeImportBytes(fixture, "utf-8")).message, /^line 1: byte 0xF3 \(offset 1 in the file\) is not valid UTF-8/);
    // Re-saved as UTF-8 it reads the same, without a note.
    assert.deepEqual(decodeImportBytes(Buffer.from(d.text)), { text: d.text, encoding: "utf-8" });
    // And streamed in small chunks.
    assert.equal(streamed(fixture, 64).text, d.text);
  });

  test("decode → CSV → header mapping → values → duplicates: the whole way an import will go", () => {
    const { text } = decodeImportBytes(fixture);
    const rows = parse(text, { delimiter: ";", relax_column_count: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
    const [header, ...data] = rows;
    assert.ok(header);
    const plan = mapHeader(header.record, {}, { companyFromFlag: "clinica-manaus" });
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.ignored, ["Convênio", "Observações"]);

    const parsed = data.map(({ record, info }) => {
      const raw = recordFromRow(plan, record);
      const start = value(parseImportDateTime(raw.start_time ?? "", ZONE), `line ${info.lines} start`);
      const rec: DedupeRecord = {
        company_id: raw.company_id ?? "",
        external_id: raw.external_id ?? "",
        client_name: raw.client_name ?? "",
        client_phone: value(parseImportPhone(raw.client_phone ?? ""), `line ${info.lines} phone`),
        start_time: start,
        end_time: value(parseImportEndTime(raw.end_time ?? "", ZONE, start), `line ${info.lines} end`),
        allow_followup: value(parseConsent(raw.allow_followup ?? ""), `line ${info.lines} consent`),
        status: value(parseAppointmentStatus(raw.status ?? ""), `line ${info.lines} status`),
      };
      return { line: info.lines, record: rec };
    });
    assert.equal(parsed.length, 10);

    const { kept, notes, errors } = dedupeRecords(parsed);
    assert.deepEqual(errors, []);
    assert.deepEqual(notes, ["line 7 repeats line 3 exactly: counted once"]);
    assert.equal(kept.length, 9);

    const byId = new Map(kept.map((k) => [k.record.external_id, k.record]));
    assert.deepEqual(byId.get("1001"), {
      company_id: "clinica-manaus", external_id: "1001", client_name: "João da Silva", client_phone: "5592991234567",
      start_time: "2026-11-24T18:00:00.000Z", end_time: "2026-11-24T18:30:00.000Z", allow_followup: true, status: "booked",
    });
    assert.equal(byId.get("1002")?.client_phone, "5592987654321", "0XX92");
    assert.equal(byId.get("1002")?.start_time, "2026-11-24T18:30:00.000Z", "14h30");
    assert.equal(byId.get("1002")?.end_time, "2026-11-24T19:00:00.000Z", "15h");
    assert.equal(byId.get("1003")?.status, "cancelled", "Desmarcado");
    assert.equal(byId.get("1003")?.allow_followup, false, "Não");
    assert.equal(byId.get("1004")?.status, "booked", "Realizado");
    assert.equal(byId.get("1004")?.allow_followup, true, "x");
    assert.equal(byId.get("1004")?.client_phone, "5592991113333", "092…");
    assert.equal(byId.get("1005")?.status, "cancelled", "Faltou");
    assert.equal(byId.get("1005")?.allow_followup, false, "empty consent");
    assert.equal(byId.get("1005")?.client_phone, "5592994445555", "the mobile of two numbers");
    assert.equal(byId.get("1006")?.client_name, "Cecília Brandão");
    assert.equal(byId.get("1007")?.status, "cancelled");
    assert.equal(byId.get("1008")?.status, "booked", "Pendente");
    assert.equal(byId.get("1008")?.allow_followup, false, "não");
    assert.equal(byId.get("1009")?.start_time, "2026-11-27T11:30:00.000Z");
  });

  test("the quoted observation with a semicolon stays one field", () => {
    const { text } = decodeImportBytes(fixture);
    const rows = parse(text, { delimiter: ";", relax_column_count: true }) as string[][];
    const cecilia = rows.find((r) => r[0] === "1006");
    assert.equal(cecilia?.length, 10);
    assert.equal(cecilia?.[9], "Alergia a dipirona; usar paracetamol");
  });
});
