import type { RedisConnection } from './connection.js'

/** What `codexRedisHealth()` resolves with while Redis answers. */
export interface RedisHealth {
  status: 'ok'
  /** Milliseconds the PING round trip took (the slowest master's, on a cluster). */
  latencyMs: number
}

// Mistakes in the caller's own code are not Redis failures: they keep their class instead of becoming a 503.
function isProgrammingError (err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError
}

/** Runs the caller's commands under the connection's deadline, Redis errors translated as fastify-codex's own. */
export async function runUserCommand<C, T> (connection: RedisConnection, command: (client: C) => Promise<T> | T): Promise<T> {
  const client = connection.commands as unknown as C
  const outcome = await connection.run(async () => {
    try {
      return { value: await command(client) }
    } catch (err) {
      if (isProgrammingError(err)) return { error: err }
      throw err
    }
  })
  if ('error' in outcome) throw outcome.error
  return outcome.value
}

/** PING (every master of a cluster) within `commandTimeout`; rejects with FST_CODEX_REDIS_UNAVAILABLE otherwise. */
export async function checkHealth (connection: RedisConnection): Promise<RedisHealth> {
  const started = performance.now()
  // One deadline for finding the masters and pinging them: the answer comes within commandTimeout either way.
  await connection.run(async () => {
    const targets = await connection.scanTargets()
    await Promise.all(targets.map((target) => target.ping()))
  })
  return { status: 'ok', latencyMs: Math.round((performance.now() - started) * 100) / 100 }
}
