import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.js";
import {
  IMPORT_COLUMNS, REQUIRED_COLUMNS, SYNONYMS, foldHeader, mapHeader, parseMapOption, recordFromRow,
} from "../../src/domain/import-mapping.js";

const CANONICAL = ["company_id", "external_id", "client_name", "client_phone", "start_time", "end_time", "allow_followup", "status"];
const CLINIC = ["Código", "Paciente", "Celular", "Data", "Hora início", "Hora fim", "Situação", "Aceita WhatsApp", "Convênio", "Observações"];

describe("parseMapOption", () => {
  test("field=Column pairs, split on commas", () => {
    assert.deepEqual(parseMapOption("client_name=Paciente,client_phone=Celular"), { client_name: ["Paciente"], client_phone: ["Celular"] });
  });

  test("spaces around names go, spaces inside and accents stay; field names ignore case", () => {
    assert.deepEqual(parseMapOption(" Client_Name = Nome do paciente , status=Situação "), { client_name: ["Nome do paciente"], status: ["Situação"] });
  });

  test("+ joins columns (date and time)", () => {
    assert.deepEqual(parseMapOption("start_time=Data+Hora início,end_time=Data+Hora fim"), {
      start_time: ["Data", "Hora início"], end_time: ["Data", "Hora fim"],
    });
  });

  test("double quotes protect , + = in a column name", () => {
    assert.deepEqual(parseMapOption('client_name="Nome, completo",start_time=Data+"Hora+1",external_id="a=b"'), {
      client_name: ["Nome, completo"], start_time: ["Data", "Hora+1"], external_id: ["a=b"],
    });
  });

  test("#N names a column by number", () => {
    assert.deepEqual(parseMapOption("client_phone=#5"), { client_phone: ["#5"] });
  });

  test("merges over a previous --map (commander's collector)", () => {
    const first = parseMapOption("client_name=Paciente");
    assert.deepEqual(parseMapOption("client_phone=Celular", first), { client_name: ["Paciente"], client_phone: ["Celular"] });
    assert.deepEqual(parseMapOption("client_name=Nome", first), { client_name: ["Nome"] }, "a later --map wins");
    assert.deepEqual(first, { client_name: ["Paciente"] }, "previous is not changed");
  });

  test("empty pairs are skipped", () => {
    assert.deepEqual(parseMapOption("client_name=Paciente,,"), { client_name: ["Paciente"] });
  });

  test("an unknown field is named, with the valid ones and a guess", () => {
    assert.throws(() => parseMapOption("phone=Celular"), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.message, `--map: "phone" is not a field (did you mean client_phone?): use one of ${CANONICAL.join(", ")}`);
      return true;
    });
    assert.throws(() => parseMapOption("paciente=Nome"), { message: `--map: "paciente" is not a field: use one of ${CANONICAL.join(", ")}` });
  });

  test("other mistakes say what to write", () => {
    assert.throws(() => parseMapOption("Paciente"), { message: '--map: "Paciente" is not field=Column, e.g. client_name=Paciente' });
    assert.throws(() => parseMapOption("client_name="), { message: '--map: client_name needs the file\'s column name after "=", e.g. client_name=Coluna' });
    assert.throws(() => parseMapOption("start_time=Data+"), /start_time needs the file's column name after "=", e.g. start_time=Data\+Hora/);
    assert.throws(() => parseMapOption("client_name=A,client_name=B"), { message: "--map: client_name is given twice" });
    assert.throws(() => parseMapOption('client_name="Nome'), /a double quote is not closed/);
  });
});

describe("foldHeader", () => {
  test("no case, accents or punctuation", () => {
    assert.equal(foldHeader("Hora Início:"), "hora inicio");
    assert.equal(foldHeader("SITUAÇÃO"), "situacao");
    assert.equal(foldHeader("client_name"), "client name");
    assert.equal(foldHeader("\uFEFFCódigo"), "codigo");
    assert.equal(foldHeader("Data/Hora"), "data hora");
    assert.equal(foldHeader("Nº"), "no");
    assert.equal(foldHeader("Aceita WhatsApp?"), "aceita whatsapp");
  });
});

describe("mapHeader", () => {
  test("secretaria's own header maps to itself, silently", () => {
    const plan = mapHeader(CANONICAL);
    assert.deepEqual(plan.sources, Object.fromEntries(CANONICAL.map((c, i) => [c, [i]])));
    assert.deepEqual(plan.notes, []);
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.ignored, []);
  });

  test("in any case and order, status optional", () => {
    const header = ["Client_Phone", "COMPANY_ID", "external_id", "client_name", "start_time", "end_time", "Allow_Followup"];
    const plan = mapHeader(header);
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.sources.client_phone, [0]);
    assert.deepEqual(plan.sources.company_id, [1]);
    assert.equal(plan.sources.status, undefined);
  });

  test("a Brazilian clinic export, with --company: synonyms, Data + Hora joined, extras ignored", () => {
    const plan = mapHeader(CLINIC, {}, { companyFromFlag: "clinica" });
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.sources, {
      external_id: [0], client_name: [1], client_phone: [2], start_time: [3, 4], end_time: [3, 5], status: [6], allow_followup: [7],
    });
    assert.equal(plan.company, "clinica");
    assert.deepEqual(plan.ignored, ["Convênio", "Observações"]);
    assert.deepEqual(plan.notes, [
      "columns read as: Código → external_id, Paciente → client_name, Celular → client_phone, Data + Hora início → start_time, " +
        "Data + Hora fim → end_time, Aceita WhatsApp → allow_followup, Situação → status",
      "not imported (no field uses them): Convênio, Observações",
    ]);
  });

  test("recordFromRow turns a row of that export into fields", () => {
    const plan = mapHeader(CLINIC, {}, { companyFromFlag: "clinica" });
    const row = ["1001", " João da Silva ", "(92) 99123-4567", "24/11/2026", "14:00", "14:30", "Agendado", "Sim", "Unimed", ""];
    assert.deepEqual(recordFromRow(plan, row), {
      company_id: "clinica", external_id: "1001", client_name: "João da Silva", client_phone: "(92) 99123-4567",
      start_time: "24/11/2026 14:00", end_time: "24/11/2026 14:30", allow_followup: "Sim", status: "Agendado",
    });
  });

  test("recordFromRow: short rows give empty fields; fields without a column are absent", () => {
    const plan = mapHeader(["company_id", "external_id", "client_name", "client_phone", "start_time", "end_time", "allow_followup"]);
    const rec = recordFromRow(plan, ["c", "1", "Ana"]);
    assert.equal(rec.client_phone, "");
    assert.equal(rec.allow_followup, "");
    assert.ok(!("status" in rec));
  });

  test("headers with accents lost or in capitals still match", () => {
    const plan = mapHeader(["CODIGO", "PACIENTE", "TELEFONE", "DATA", "HORARIO", "TERMINO", "SITUACAO", "CONSENTIMENTO LGPD"], {}, { companyFromFlag: "c" });
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.sources.start_time, [3, 4]);
    assert.deepEqual(plan.sources.end_time, [3, 5]);
    assert.deepEqual(plan.sources.allow_followup, [7]);
  });

  test("other synonyms: Cliente, WhatsApp, Data e hora, Fim, Status, LGPD, ID", () => {
    const plan = mapHeader(["ID", "Cliente", "WhatsApp", "Data e hora", "Fim", "Status", "LGPD"], {}, { companyFromFlag: "c" });
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.sources, {
      external_id: [0], client_name: [1], client_phone: [2], start_time: [3], end_time: [4], status: [5], allow_followup: [6],
    });
  });

  test("one date-and-time column: Data alone is the start; Início alone too", () => {
    assert.deepEqual(mapHeader(["Código", "Nome", "Celular", "Data", "Término", "Aceita contato"], {}, { companyFromFlag: "c" }).sources.start_time, [3]);
    const inicio = mapHeader(["Código", "Nome", "Celular", "Início", "Término", "Aceita contato"], {}, { companyFromFlag: "c" });
    assert.deepEqual(inicio.sources.start_time, [3]);
    assert.deepEqual(inicio.sources.end_time, [4], "Término alone: parseImportEndTime reads a bare time on the start's day");
    assert.deepEqual(inicio.errors, []);
  });

  test("Data + Início are joined (joinDateTime copes when Início already has the date)", () => {
    const plan = mapHeader(["Código", "Nome", "Celular", "Data", "Início", "Fim", "Aceita WhatsApp"], {}, { companyFromFlag: "c" });
    assert.deepEqual(plan.sources.start_time, [3, 4]);
    assert.deepEqual(plan.sources.end_time, [3, 5]);
    assert.equal(recordFromRow(plan, ["1", "A", "92991234567", "24/11/2026", "24/11/2026 14:00", "24/11/2026 15:00", "s"]).start_time, "24/11/2026 14:00");
  });

  test("the most specific synonym wins; the others are listed as ignored", () => {
    const plan = mapHeader(["Código", "Paciente", "Telefone", "Celular", "WhatsApp", "Data e hora", "Fim", "Aceita WhatsApp"], {}, { companyFromFlag: "c" });
    assert.deepEqual(plan.sources.client_phone, [4]);
    assert.deepEqual(plan.ignored, ["Telefone", "Celular"]);
  });

  test("patients' own codes and birth dates are not taken for the appointment's", () => {
    const plan = mapHeader(["Código do paciente", "Data de nascimento", "Paciente", "Celular", "Aceita WhatsApp"], {}, { companyFromFlag: "c" });
    assert.equal(plan.sources.external_id, undefined);
    assert.equal(plan.sources.start_time, undefined);
    assert.match(plan.errors.join("\n"), /no column for external_id, start_time, end_time/);
  });

  test("consent columns are found by their subject; a consent date is not consent", () => {
    assert.deepEqual(mapHeader(["Aceita receber lembretes?"]).sources.allow_followup, [0]);
    assert.deepEqual(mapHeader(["Termo LGPD assinado"]).sources.allow_followup, [0]);
    assert.equal(mapHeader(["Data consentimento LGPD"]).sources.allow_followup, undefined);
  });

  test("--map wins over names and synonyms", () => {
    const plan = mapHeader(CLINIC, parseMapOption("client_phone=Convênio,external_id=#2"), { companyFromFlag: "c" });
    assert.deepEqual(plan.sources.client_phone, [8]);
    assert.deepEqual(plan.sources.external_id, [1]);
    // Paciente went to external_id, so client_name finds nothing.
    assert.equal(plan.sources.client_name, undefined);
    assert.match(plan.errors.join("\n"), /no column for client_name/);
    assert.ok(plan.ignored.includes("Celular") && plan.ignored.includes("Código"));
  });

  test("--map may use one column twice (the date for start and end) and matches names loosely", () => {
    const header = ["Cod", "Pessoa", "Fone 1", "Dia da consulta", "Das", "Até", "Ok WhatsApp"];
    const map = parseMapOption("client_name=pessoa,client_phone=FONE 1,start_time=Dia da Consulta+Das,end_time=Dia da consulta+ATÉ,allow_followup=ok whatsapp");
    const plan = mapHeader(header, map, { companyFromFlag: "c" });
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.sources.start_time, [3, 4]);
    assert.deepEqual(plan.sources.end_time, [3, 5]);
    assert.deepEqual(plan.sources.external_id, [0]);
    assert.deepEqual(plan.notes, ["columns read as: Cod → external_id"], "what the user mapped is not repeated back");
  });

  test("--map naming a column the file lacks, or a number past its end", () => {
    const plan = mapHeader(CLINIC, parseMapOption("client_phone=Cel,status=#11"), { companyFromFlag: "c" });
    assert.deepEqual(plan.errors.slice(0, 2), [
      `--map client_phone=Cel: the file has no column "Cel" (its columns: ${CLINIC.join(", ")})`,
      "--map status=#11: the file has 10 columns",
    ]);
  });

  test("missing fields: one error saying which --map to pass, and the file's columns", () => {
    const plan = mapHeader(["Paciente", "Data", "Hora", "Obs"], {}, { companyFromFlag: "c" });
    assert.deepEqual(plan.errors, [
      'no column for external_id, client_phone, end_time, allow_followup: pass --map "external_id=<column>,client_phone=<column>,end_time=<column>,allow_followup=<column>" ' +
        "(the file's columns: Paciente, Data, Hora, Obs)",
    ]);
  });

  test("company_id: a column, or --company, not both and not neither", () => {
    assert.deepEqual(mapHeader(CLINIC).errors, ["no company_id column: pass --company <id> when every row is for one company, or --map company_id=<column>"]);
    assert.deepEqual(mapHeader(CANONICAL, {}, { companyFromFlag: "clinica" }).errors, [
      'both --company and a company_id column ("company_id"): drop --company, or the column',
    ]);
    assert.deepEqual(mapHeader(CLINIC, parseMapOption("company_id=Convênio")).errors, []);
    assert.deepEqual(mapHeader(CLINIC, {}, { companyFromFlag: "  " }).errors[0], "--company is empty: give the company's id");
  });

  test("clinic names are not taken for company ids without --map", () => {
    const plan = mapHeader(["Clínica", "Empresa", "Unidade", ...CLINIC]);
    assert.equal(plan.sources.company_id, undefined);
  });

  test("two columns with the same name: an error when a field needs it, with the --map #N way out", () => {
    const header = ["Código", "Paciente", "Telefone", "Telefone", "Data e hora", "Fim", "Aceita WhatsApp"];
    const plan = mapHeader(header, {}, { companyFromFlag: "c" });
    assert.deepEqual(plan.errors, ['columns 3 and 4 are both named "Telefone": pass --map client_phone=#3 (or the other\'s number)']);
    const fixed = mapHeader(header, parseMapOption("client_phone=#4"), { companyFromFlag: "c" });
    assert.deepEqual(fixed.errors, []);
    assert.deepEqual(fixed.sources.client_phone, [3]);
    assert.deepEqual(fixed.ignored, ["Telefone"]);
  });

  test("unnamed columns (trailing separators) are not reported", () => {
    const plan = mapHeader([...CANONICAL, "", " "]);
    assert.deepEqual(plan.ignored, []);
    assert.deepEqual(plan.notes, []);
  });

  test("an unknown column in secretaria's own format is a note, not an error", () => {
    const plan = mapHeader([...CANONICAL, "notes"]);
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.notes, ["not imported (no field uses them): notes"]);
  });
});

describe("tables", () => {
  test("synonyms are folded and no name serves two fields", () => {
    const seen = new Map<string, string>();
    for (const [field, names] of Object.entries(SYNONYMS)) {
      for (const name of names) {
        assert.equal(foldHeader(name), name, `${field}: ${name}`);
        assert.ok(!seen.has(name), `${name} is a synonym of ${seen.get(name)} and ${field}`);
        seen.set(name, field);
      }
    }
  });

  test("required columns: all but status", () => {
    assert.deepEqual([...REQUIRED_COLUMNS], IMPORT_COLUMNS.filter((c) => c !== "status"));
  });
});
