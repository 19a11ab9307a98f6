/**
 * The panel speaks Portuguese to a clinic owner: the service's reasons (written for the CLI and the
 * API, in English, some naming --force) said in pt-BR, without flags the panel does not have. An
 * unknown text is shown as it is rather than hidden. test/render/panel-text.test.ts walks every
 * reason resendFollowup can give.
 */

const REFUSALS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^the client gave no consent/, () => "o cliente não autorizou mensagens de acompanhamento (sem consentimento)."],
  [/^it has not been sent yet/, () => "ainda não foi enviado: o sistema envia no horário previsto."],
  [/^it is being sent right now/, () => "está sendo enviado agora mesmo."],
  [/^the client already answered \((positive|negative)\)/, (m) => `o cliente já respondeu (${m[1] === "positive" ? "👍 positivo" : "👎 negativo"}): o ciclo está encerrado.`],
  [/^it was skipped/, () => "não foi enviado (sem consentimento, cancelado, expirado ou o cliente pediu para não receber)."],
  [/^the appointment was cancelled/, () => "o atendimento foi cancelado."],
  [/^the client opted out/, () => "o cliente pediu para não receber mais mensagens."],
  [/^it was sent (?:(\d+) h )?(\d+) min ago, less than (\d+) hours/, (m) =>
    `foi enviado há ${m[1] ? `${m[1]} h ${m[2]} min` : `${m[2]} min`}, menos de ${m[3]} horas: espere antes de reenviar.`],
  [/^it is company .+'s quiet hours \(([^,]+),/, (m) => `é o horário de silêncio da empresa (${m[1]}): nenhuma mensagem sai agora; tente mais tarde.`],
  [/^its state changed meanwhile/, () => "a situação mudou enquanto isso: recarregue e tente de novo."],
];

/** A resend refusal (ResendRefusedError.reason) in pt-BR. */
export function refusalPtBR(reason: string): string {
  for (const [re, say] of REFUSALS) {
    const m = re.exec(reason);
    if (m) return say(m);
  }
  return reason;
}

const SKIP_REASONS: Record<string, string> = {
  no_consent: "sem consentimento",
  cancelled: "atendimento cancelado",
  expired: "expirou (não saiu em 12 h)",
  opted_out: "pediu para não receber",
};

/** A skip reason (followup_skip_reason) in pt-BR. */
export function skipReasonPtBR(reason: string): string {
  return SKIP_REASONS[reason] ?? reason;
}
