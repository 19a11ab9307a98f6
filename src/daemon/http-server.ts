import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import type { Logger } from "../logger.js";

/**
 * The daemon's HTTP side (fastify: body limits, JSON parsing and routing done right, with
 * 413/400 for free). Each feature registers its routes as a plugin:
 * metrics/health, the Whaticket webhook, the agenda API.
 */
export type HttpRoutes = (app: FastifyInstance) => void | Promise<void>;

export interface HttpServerOptions {
  host: string;
  port: number;
  routes: HttpRoutes[];
  logger: Logger;
  /** Largest accepted request body; the webhook's limit (64 KiB). */
  bodyLimit?: number;
}

export interface RunningHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function buildHttpApp(opts: Omit<HttpServerOptions, "host" | "port">): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: opts.bodyLimit ?? 64 * 1024, return503OnClosing: true });
  // Client mistakes keep their 4xx with a one-line reason; nothing a client sends turns into a 500.
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) opts.logger.error("http_error", { method: req.method, path: req.routeOptions.url ?? "?", error: err.message });
    const reason =
      status === 413 ? "body too large" : err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" ? "send application/json" : status === 500 ? "internal error" : err.message;
    void reply.code(status).send({ error: reason });
  });
  app.setNotFoundHandler((_req, reply) => void reply.code(404).send({ error: "not found" }));
  for (const r of opts.routes) await app.register(async (scope) => r(scope));
  return app;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const app = await buildHttpApp(opts);
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code;
    const { UserError } = await import("../errors.js");
    if (code === "EADDRINUSE") throw new UserError(`port ${opts.port} on ${opts.host} is in use (another daemon?): pass --port N, or --port 0 for any free port`);
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw new UserError(`cannot listen on ${opts.host}: pass --host 127.0.0.1 (the default) or an address of this machine`);
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  let closed = false;
  return {
    url: `http://${opts.host.includes(":") ? `[${opts.host}]` : opts.host}:${port}`,
    port,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}
