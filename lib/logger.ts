/** The one logger shape fastify-codex calls, for the cache and the session store alike: `fastify.log` (pino) fits. */
export interface CodexLogger {
  warn (obj: object, msg: string): void
}
