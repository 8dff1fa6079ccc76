import type { FastifyInstance } from 'fastify'
import type { RedisConnection } from '../lib/connection/connection.js'

// One line per distinct failure, not one per reconnect attempt (every ~500 ms during an outage).
const REPEAT_LOG_AFTER_MS = 10_000

interface EventSource {
  on (event: string, listener: () => void): unknown
  off (event: string, listener: () => void): unknown
}

/**
 * pino and util.inspect print `cause` after the message; @redis/client often copies its cause's text into its own
 * message (`Master Client (h:p): The client is offline`), so such an error is logged without the repeated cause.
 */
function loggable (err: Error): Error | object {
  const cause = err.cause
  if (!(cause instanceof Error) || !err.message.includes(cause.message)) return err
  return { type: err.name, message: err.message, stack: err.stack, code: (err as NodeJS.ErrnoException).code }
}

/** The client's errors at `error` (deduplicated), and one `info` line when it is back after failing. */
export class ConnectionLog {
  readonly #fastify: FastifyInstance
  #last = ''
  #lastAt = 0
  #downSince: number | undefined

  constructor (fastify: FastifyInstance) {
    this.#fastify = fastify
  }

  readonly onError = (err: Error): void => {
    const now = Date.now()
    this.#downSince ??= now
    if (err.message === this.#last && now - this.#lastAt < REPEAT_LOG_AFTER_MS) return
    this.#last = err.message
    this.#lastAt = now
    this.#fastify.log.error({ err: loggable(err) }, 'fastify-codex: Redis client error')
  }

  /** Watches a connected client for recovery until Fastify closes. */
  watch (connection: RedisConnection): void {
    this.#downSince = undefined
    this.#last = ''
    // A cluster reports each node's reconnection; single-node and sentinel clients report their own.
    const event = connection.topology === 'cluster' ? 'node-ready' : 'ready'
    const client = connection.client as unknown as EventSource
    const onReady = (): void => {
      if (this.#downSince === undefined) return
      const downMs = Date.now() - this.#downSince
      this.#downSince = undefined
      this.#last = ''
      this.#fastify.log.info({ downMs }, 'fastify-codex: Redis connection restored')
    }
    client.on(event, onReady)
    this.#fastify.addHook('onClose', (_instance, done) => {
      client.off(event, onReady)
      done()
    })
  }
}
