/**
 * How long a graceful stop may take, in one place: the daemon's stop wait, the `--send-timeout`
 * default and the systemd unit's TimeoutStopSec (a test reads deploy/secretaria.service) agree.
 */

/** One gateway request (connect, send, answer) may take this long before it counts as a timeout. */
export const DEFAULT_SEND_TIMEOUT_MS = 10_000;

/** After the send timeout: time to commit the last outcomes and give back unsent claims. */
export const STOP_MARGIN_MS = 5_000;

/** After the stop wait ran out: the pass's last commit of what was answered; then nothing more is written. */
export const ABANDON_DRAIN_MS = 2_000;

/** After the stop wait: closing the HTTP server, the gateway clients and the database. */
export const CLOSE_MARGIN_MS = 5_000;

/** How long a stop waits for sends in flight: every send started before the stop can end by itself. */
export function stopTimeoutFor(sendTimeoutMs: number = DEFAULT_SEND_TIMEOUT_MS): number {
  return sendTimeoutMs + STOP_MARGIN_MS;
}

/** The shortest TimeoutStopSec (seconds) that lets a stop finish before systemd's SIGKILL. */
export function minimumStopSeconds(sendTimeoutMs: number = DEFAULT_SEND_TIMEOUT_MS): number {
  return Math.ceil((stopTimeoutFor(sendTimeoutMs) + ABANDON_DRAIN_MS + CLOSE_MARGIN_MS) / 1000);
}
