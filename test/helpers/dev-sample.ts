import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The labeled dev sample replies-dev.jsonl: SECRETARIA_REPLIES_DEV, the repository's data/, or
 * shared/ beside the repository (developers' checkouts and CI's clone alike), or the team's folder.
 */
export function devSamplePath(): string | null {
  const candidates = [
    process.env.SECRETARIA_REPLIES_DEV,
    fileURLToPath(new URL("../../data/replies-dev.jsonl", import.meta.url)),
    fileURLToPath(new URL("../../../shared/data/replies-dev.jsonl", import.meta.url)),
    "/work/shared/data/replies-dev.jsonl",
  ];
  return candidates.find((p): p is string => !!p && existsSync(p)) ?? null;
}
