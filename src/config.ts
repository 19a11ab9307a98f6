/** Where settings come from: flag > environment > default. */
export const DEFAULT_DB = "./secretaria.db";

export function resolveDbPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.SECRETARIA_DB || DEFAULT_DB;
}

export interface WhaticketDefaults {
  url: string | null;
  token: string | null;
}

export function whaticketFromEnv(env: NodeJS.ProcessEnv = process.env): WhaticketDefaults {
  return { url: env.WHATICKET_URL?.trim() || null, token: env.WHATICKET_TOKEN?.trim() || null };
}
