import { DateTime } from "luxon";
import { UsageError } from "./errors.js";

/** The one clock: every read of "now" goes through a Clock so tests and the demo can drive time. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** A clock frozen at one instant (SECRETARIA_NOW, tests). */
export function fixedClock(at: Date): Clock {
  const ms = at.getTime();
  return () => new Date(ms);
}

/** A clock the caller moves by hand (demo, tests of the daemon loop). */
export class ManualClock {
  private ms: number;
  constructor(start: Date) {
    this.ms = start.getTime();
  }
  readonly now: Clock = () => new Date(this.ms);
  set(at: Date): void {
    this.ms = at.getTime();
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** SECRETARIA_NOW (an ISO-8601 instant) when set, else the system clock. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const raw = env.SECRETARIA_NOW?.trim();
  if (!raw) return systemClock;
  const at = parseInstant(raw);
  if (!at) {
    throw new UsageError(
      `SECRETARIA_NOW="${raw}" is not an ISO-8601 instant: use e.g. 2026-11-25T14:00:00Z, or unset it to use the system clock`,
    );
  }
  return fixedClock(at);
}

/** Parses an ISO-8601 instant that carries its offset (Z or ±hh:mm). */
export function parseInstant(raw: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(raw)) return null;
  // luxon rejects impossible dates (2026-02-30) that Date would silently roll over.
  const dt = DateTime.fromISO(raw, { setZone: true });
  return dt.isValid ? dt.toJSDate() : null;
}

/** The storage form of an instant: UTC ISO-8601 with milliseconds, so strings sort as times. */
export function iso(d: Date): string {
  return d.toISOString();
}
