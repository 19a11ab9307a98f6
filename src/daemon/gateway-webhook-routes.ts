import { createHash, timingSafeEqual } from "node:crypto";
import { AuthFailureLog } from "./auth-failures.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Intent } from "../domain/intent.js";
import { maskPhone } from "../domain/phone.js";
import { FOLLOWUP_NO, FOLLOWUP_YES } from "../gateway/cloud-client.js";
import { cloudVerificationChallenge, readCloudWebhook, verifyCloudSignature } from "../gateway/cloud-inbound.js";
import { parseEvolutionWebhook } from "../gateway/evolution-inbound.js";
import type { Logger } from "../logger.js";
import { companySecretOrNull } from "../services/company-secrets.js";
import type { InboundInput, ReplyResult, ReplyService } from "../services/reply-service.js";
import { cloudCompanies, companyByCloudPhoneNumberId, companyByEvolutionInstance } from "../services/gateway-service.js";
import type { CompanyRow } from "../store/companies.js";
import type { Store } from "../store/store.js";
import type { HttpRoutes } from "./http-server.js";

/**
 * Inbound webhooks of the other gateways, feeding the same reply service as Whaticket's:
 *
 * - `POST /webhooks/evolution?token=<SECRETARIA_WEBHOOK_TOKEN>`: Evolution API v2 `messages.upsert`
 *   (fromMe, groups and broadcasts ignored; a LID chat's phone read from remoteJidAlt; a repeated
 *   message id applied once). The instance tells the company.
 * - `GET /webhooks/whatsapp-cloud`: Meta's verification handshake, answered with hub.challenge when
 *   hub.verify_token is a Cloud company's verify token, else 403.
 * - `POST /webhooks/whatsapp-cloud`: every delivery must carry X-Hub-Signature-256, the HMAC-SHA256
 *   of the raw body under a Cloud company's app secret (401 otherwise); each message is applied for
 *   the company that owns its phone_number_id (and signed with that company's secret). Quick-reply
 *   payloads FOLLOWUP_YES / FOLLOWUP_NO decide the intent; list rows SLOT_n choose slot n; text goes
 *   through the ContextEngine.
 */

export const EVOLUTION_WEBHOOK_PATH = "/webhooks/evolution";
export const CLOUD_WEBHOOK_PATH = "/webhooks/whatsapp-cloud";

export interface GatewayWebhookDeps {
  store: Store;
  service: ReplyService;
  /** SECRETARIA_WEBHOOK_TOKEN, for Evolution (the Cloud API signs instead). */
  token: string | null | undefined;
  logger: Logger;
  /** Rate-limited log of 401s (shared with the Whaticket webhook). */
  authFailures?: AuthFailureLog;
}

/** What a tapped button or row decides, before any text is read. */
export function decisionOfPayload(payload: string | undefined): Pick<InboundInput, "intent" | "slotChoice"> {
  if (payload === undefined) return {};
  if (payload === FOLLOWUP_YES) return { intent: "followup_positive" satisfies Intent };
  if (payload === FOLLOWUP_NO) return { intent: "followup_negative" satisfies Intent };
  const slot = /^SLOT_(\d{1,2})$/.exec(payload);
  if (slot && Number(slot[1]) >= 1) return { slotChoice: Number(slot[1]) };
  return {};
}

type Answer = Pick<ReplyResult, "matched" | "duplicate" | "appointment_id" | "intent" | "response" | "outcome" | "bot_reply_delivery">;

function answerOf(r: ReplyResult): Answer {
  return {
    matched: r.matched, duplicate: r.duplicate, appointment_id: r.appointment_id, intent: r.intent,
    response: r.response, outcome: r.outcome, bot_reply_delivery: r.bot_reply_delivery,
  };
}

export function gatewayWebhookRoutes(deps: GatewayWebhookDeps): HttpRoutes[] {
  return [evolutionRoutes(deps), cloudRoutes(deps)];
}

function evolutionRoutes(deps: GatewayWebhookDeps): HttpRoutes {
  const expected = deps.token?.trim() || null;
  const authFailures = deps.authFailures ?? new AuthFailureLog(deps.logger);
  return (app: FastifyInstance) => {
    const authorize = async (req: FastifyRequest, reply: FastifyReply) => {
      if (!expected) return reply.code(503).send({ error: "webhook disabled on this server: set SECRETARIA_WEBHOOK_TOKEN and restart the daemon" });
      const q = req.query as Record<string, unknown>;
      const token = typeof q?.token === "string" ? q.token : null;
      if (token === null || !tokenMatches(token, expected)) {
        authFailures.record(req);
        return reply.code(401).send({ error: `wrong or missing token: POST ${EVOLUTION_WEBHOOK_PATH}?token=<SECRETARIA_WEBHOOK_TOKEN>` });
      }
    };

    app.post(EVOLUTION_WEBHOOK_PATH, { onRequest: authorize }, async (req, reply) => {
      const m = parseEvolutionWebhook(req.body);
      if (m.kind === "invalid") return reply.code(400).send({ error: m.reason });
      if (m.kind === "ignored") return reply.code(200).send({ ignored: m.reason });
      try {
        const company = m.instance ? await companyByEvolutionInstance(deps.store, m.instance) : undefined;
        const input: InboundInput = {
          phone: m.phone, text: m.text, messageId: m.messageId, sentAt: m.timestamp === null ? null : new Date(m.timestamp * 1000),
          media: m.media, ...decisionOfPayload(m.buttonPayload),
        };
        if (company) input.companyId = company.id;
        return reply.code(200).send(answerOf(await deps.service.processInbound(input)));
      } catch (err) {
        deps.logger.error("webhook_failed", { gateway: "evolution", phone: maskPhone(m.phone), error: (err as Error)?.message ?? String(err) });
        return reply.code(503).send({ error: "could not store the message right now: retry later" });
      }
    });
  };
}

function cloudRoutes(deps: GatewayWebhookDeps): HttpRoutes {
  return (app: FastifyInstance) => {
    // The signature is over the exact bytes Meta sent: this scope (this route only) keeps the raw body.
    app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

    app.get(CLOUD_WEBHOOK_PATH, async (req, reply) => {
      for (const c of await cloudCompanies(deps.store)) {
        const verifyToken = companySecretOrNull(c, "cloud_verify_token");
        const challenge = verifyToken ? cloudVerificationChallenge(req.query, verifyToken) : null;
        if (challenge !== null) {
          deps.logger.info("cloud_webhook_verified", { company: c.id });
          return reply.code(200).type("text/plain").send(challenge);
        }
      }
      return reply.code(403).send({ error: "verification failed: hub.verify_token must be a company's --cloud-verify-token and hub.mode subscribe" });
    });

    app.post(CLOUD_WEBHOOK_PATH, async (req, reply) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.from(typeof req.body === "string" ? req.body : "", "utf8");
      const header = req.headers["x-hub-signature-256"];
      const signature = typeof header === "string" ? header : undefined;
      const companies = await cloudCompanies(deps.store);
      const signedBy = companies.filter((c) => {
        const appSecret = companySecretOrNull(c, "cloud_app_secret");
        return appSecret && verifyCloudSignature(raw, signature, appSecret);
      });
      if (signedBy.length === 0) {
        deps.logger.warn("cloud_webhook_refused", { reason: signature ? "wrong signature" : "no X-Hub-Signature-256" });
        return reply.code(401).send({ error: "wrong or missing X-Hub-Signature-256: it must be the HMAC-SHA256 of the body under the company's --cloud-app-secret" });
      }
      const reading = readCloudWebhook(raw);
      if (!reading.valid) return reply.code(400).send({ error: reading.reason ?? "not a WhatsApp webhook" });

      const results: (Answer | { ignored: string })[] = [];
      for (const item of reading.items) {
        const company: CompanyRow | undefined = item.phoneNumberId ? await companyByCloudPhoneNumberId(deps.store, item.phoneNumberId) : undefined;
        // A message for a number whose company did not sign this delivery is not applied.
        if (!company || !signedBy.some((c) => c.id === company.id)) {
          results.push({ ignored: "phone_number_id is not a Cloud company's that signed this delivery" });
          continue;
        }
        try {
          const r = await deps.service.processInbound({
            phone: item.phone, text: item.text, messageId: item.messageId, companyId: company.id,
            sentAt: item.timestamp === null ? null : new Date(item.timestamp * 1000), media: item.media, ...decisionOfPayload(item.buttonPayload),
          });
          results.push(answerOf(r));
        } catch (err) {
          deps.logger.error("webhook_failed", { gateway: "cloud", phone: maskPhone(item.phone), error: (err as Error)?.message ?? String(err) });
          return reply.code(503).send({ error: "could not store the message right now: retry later" });
        }
      }
      return reply.code(200).send({ results, statuses: reading.statuses, skipped: reading.skipped.length });
    });
  };
}

/** Constant-time: both sides hashed to equal-length digests first. */
function tokenMatches(given: string, expected: string): boolean {
  const digest = (v: string) => createHash("sha256").update(v, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}
