import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { resendRefusal, type FollowupStatus } from "../../src/domain/lifecycle.js";
import { refusalPtBR, skipReasonPtBR } from "../../src/render/panel-text.js";
import { resendHoldFor, resendRefusalFor } from "../../src/services/followup-service.js";
import type { AppointmentRow } from "../../src/store/appointments.js";
import type { CompanyRow } from "../../src/store/companies.js";

/**
 * Every reason resendFollowup can refuse with, produced by the service's own functions, reads in
 * pt-BR on the panel, without the CLI's or the API's flags. A reason reworded in the service
 * without its pt-BR twin fails here instead of reaching a clinic owner in English.
 */

const NOW = new Date("2026-03-10T15:00:00.000Z");

function row(over: Partial<AppointmentRow>): AppointmentRow {
  return {
    id: 1, company_id: "clinica", status: "booked", allow_followup: 1, followup_status: "sent", lease_expires_at: null,
    followup_sent_at: null, ...over,
  } as unknown as AppointmentRow;
}

const company = (quiet: string) => ({ id: "clinica", timezone: "America/Sao_Paulo", quiet_hours: quiet }) as unknown as CompanyRow;

function everyReason(): string[] {
  const reasons = new Set<string>();
  const statuses: FollowupStatus[] = ["scheduled", "sending", "sent", "positive", "negative", "feedback", "failed", "skipped"];
  for (const st of statuses) for (const consent of [true, false]) {
    const r = resendRefusal(st, consent);
    if (r) reasons.add(r);
  }
  const add = (r: string | null) => {
    assert.ok(r, "the case gives a reason");
    reasons.add(r);
  };
  add(resendRefusalFor(row({ status: "cancelled" }), NOW));
  add(resendRefusalFor(row({}), NOW, true));
  add(resendRefusalFor(row({ lease_expires_at: new Date(NOW.getTime() + 60_000).toISOString() }), NOW));
  add(resendHoldFor(row({ followup_sent_at: new Date(NOW.getTime() - 10 * 60_000).toISOString() }), company("off"), NOW));
  add(resendHoldFor(row({ followup_sent_at: new Date(NOW.getTime() - 3 * 3600_000 - 5 * 60_000).toISOString() }), company("off"), NOW));
  add(resendHoldFor(row({}), company("00:00-23:59"), NOW));
  reasons.add("its state changed meanwhile: try again");
  return [...reasons];
}

describe("the panel's pt-BR texts", () => {
  test("every resend refusal the service gives is said in Portuguese, with no CLI or API flag", () => {
    const reasons = everyReason();
    assert.ok(reasons.length >= 10, `${reasons.length} reasons`);
    for (const r of reasons) {
      const said = refusalPtBR(r);
      assert.notEqual(said, r, `no pt-BR text for: ${r}`);
      assert.doesNotMatch(said, /--force|force=true|secretaria /, said);
    }
  });

  test("figures in a reason are kept", () => {
    assert.equal(refusalPtBR("it was sent 3 h 5 min ago, less than 12 hours: pass --force"), "foi enviado há 3 h 5 min, menos de 12 horas: espere antes de reenviar.");
    assert.equal(refusalPtBR("it was sent 10 min ago, less than 12 hours: pass --force"), "foi enviado há 10 min, menos de 12 horas: espere antes de reenviar.");
    assert.match(refusalPtBR("the client already answered (negative): the cycle is closed"), /👎 negativo/);
    assert.match(refusalPtBR("it is company clinica's quiet hours (20:00-08:00, America/Sao_Paulo): pass --force"), /\(20:00-08:00\)/);
  });

  test("an unknown reason is shown as it is; skip reasons in Portuguese", () => {
    assert.equal(refusalPtBR("something new"), "something new");
    assert.deepEqual(["no_consent", "cancelled", "expired", "opted_out", "other"].map(skipReasonPtBR),
      ["sem consentimento", "atendimento cancelado", "expirou (não saiu em 12 h)", "pediu para não receber", "other"]);
  });
});
