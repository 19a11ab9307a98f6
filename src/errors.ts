/**
 * Errors a person can fix. The CLI's single top-level handler prints them as one
 * line `secretaria: <message>` with their exit code; anything else is a bug and
 * keeps its stack (shown with DEBUG=secretaria).
 */
export class UserError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}

/** A wrong flag, value or missing argument: exit code 2. */
export class UsageError extends UserError {
  override readonly exitCode: number = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}
