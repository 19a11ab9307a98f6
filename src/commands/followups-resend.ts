import { UsageError } from "../errors.js";
import { oneLine } from "../render/safe-text.js";
import { commandContext, openMigrated, print, printJson, type GlobalOptions } from "./context.js";

export interface FollowupsResendOptions extends GlobalOptions {
  yes?: boolean;
  json?: boolean;
  force?: boolean;
}

function parseId(raw: string | undefined): number {
  if (!raw || !/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new UsageError(`ID must be an appointment id, a whole number (got "${raw ?? ""}"): see \`secretaria followups list\``);
  }
  return Number(raw);
}

/** `followups resend ID`: sends the follow-up again now, after a confirmation (or --yes). */
export async function runFollowupsResend(o: FollowupsResendOptions, rawId: string | undefined): Promise<void> {
  const id = parseId(rawId);
  const interactive = !!process.stdin.isTTY && !!process.stdout.isTTY;
  if (!o.yes && !interactive) {
    throw new UsageError(`resending sends a WhatsApp message now: pass --yes to confirm (prompts only run on a terminal)`);
  }
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  const { WhaticketClient } = await import("../gateway/whaticket-client.js");
  const { whaticketFromEnv } = await import("../config.js");
  const { getAppointment } = await import("../services/appointment-service.js");
  const { FollowupNotFoundError, ResendRefusedError, resendFollowup, resendHoldFor, resendRefusalFor, isPhoneOptedOut } = await import("../services/followup-service.js");
  const { getCompany } = await import("../services/company-service.js");
  const gateway = new WhaticketClient();
  try {
    if (!o.yes) {
      // Say why before asking, rather than ask and then refuse.
      const row = await getAppointment(db, id);
      if (!row) throw new FollowupNotFoundError(id);
      const refusal = resendRefusalFor(row, ctx.clock(), await isPhoneOptedOut(db, row));
      if (refusal) throw new ResendRefusedError(id, refusal);
      const company = o.force ? undefined : await getCompany(db, row.company_id);
      const hold = company ? resendHoldFor(row, company, ctx.clock()) : null;
      if (hold) throw new ResendRefusedError(id, hold);
      const { default: inquirer } = await import("inquirer");
      const { ok } = await inquirer.prompt<{ ok: boolean }>([
        { type: "confirm", name: "ok", default: false, message: `Send the follow-up to ${oneLine(row.client_name)} (${row.client_phone}) again now?` },
      ]);
      if (!ok) return print("nothing sent");
    }
    const { appointment } = await resendFollowup({ store: db, gateway, clock: ctx.clock, whaticketDefaults: whaticketFromEnv() }, id, { force: o.force });
    if (o.json) {
      return printJson({
        id: appointment.id,
        company_id: appointment.company_id,
        client_name: appointment.client_name,
        client_phone: appointment.client_phone,
        followup_status: appointment.followup_status,
        followup_sent_at: appointment.followup_sent_at,
        followup_response: appointment.followup_response,
        followup_attempts: appointment.followup_attempts,
      });
    }
    print(`resent follow-up ${appointment.id} to ${oneLine(appointment.client_name)} (${appointment.client_phone}); awaiting the reply`);
  } finally {
    await gateway.close();
    await db.close();
  }
}
