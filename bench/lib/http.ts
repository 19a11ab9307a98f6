/** Small loopback HTTP calls with a deadline: scrapes for the benchmarks, webhooks for the chaos suite. */
import http from "node:http";
import { performance } from "node:perf_hooks";

export interface HttpAnswer {
  status: number;
  body: string;
  ms: number;
}

export function request(
  url: string,
  opts: { method?: "GET" | "POST"; body?: string; headers?: Record<string, string>; timeoutMs?: number; agent?: http.Agent } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const headers: Record<string, string | number> = { ...opts.headers };
    if (opts.body !== undefined) {
      headers["Content-Type"] ??= "application/json";
      headers["Content-Length"] = Buffer.byteLength(opts.body);
    }
    const req = http.request(url, { method: opts.method ?? "GET", headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started }));
      res.on("error", reject);
    });
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error(`no answer from ${new URL(url).pathname} within ${opts.timeoutMs ?? 10_000} ms`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}
