/**
 * Whether the daemon's own most recent database write (a tick, a heartbeat, a webhook's message)
 * failed: /healthz says `database: "write_failing"` (503) until a later write succeeds, since a
 * read ping alone answers fine on a locked or full database.
 */
export class WriteHealth {
  private lastFailure: { at: Date; error: string } | null = null;
  private failing = false;

  succeeded(): void {
    this.failing = false;
  }

  failed(err: unknown, at: Date = new Date()): void {
    this.failing = true;
    this.lastFailure = { at, error: err instanceof Error ? err.message : String(err) };
  }

  /** The failure while the most recent write failed, else null. */
  current(): { at: Date; error: string } | null {
    return this.failing ? this.lastFailure : null;
  }
}
