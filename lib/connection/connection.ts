import { RedisUnavailableError } from '../errors.js'
import type { ClientKind, ClusterClient, CommandClient, ManagedClient, RedisClientLike } from './client-types.js'
import { createRedisClient } from './create-client.js'
import { DeadlineQueue } from './deadline.js'
import type { ResolvedConnectionOptions } from './options.js'
import { translateRedisError } from './translate-error.js'

export type RedisErrorListener = (err: Error) => void

function kindOf (client: RedisClientLike): ClientKind {
  if ('nodeClient' in client) return 'cluster'
  if ('getMasterNode' in client) return 'sentinel'
  return 'single'
}

/**
 * One Redis client plus the two things every command needs: a deadline and error translation.
 * Owns (connects and closes) only a client it created, unless told `closeClient`.
 */
export class RedisConnection {
  readonly kind: ClientKind
  readonly commandTimeout: number
  readonly client: RedisClientLike
  /** Commands without @redis/client's per-command timeout; every call goes through `run`. */
  readonly commands: CommandClient
  readonly owned: boolean
  readonly #managed: ManagedClient
  readonly #deadlines: DeadlineQueue
  readonly #onError: RedisErrorListener
  #closing: Promise<void> | undefined

  constructor (options: ResolvedConnectionOptions, onError: RedisErrorListener) {
    this.client = createRedisClient(options)
    this.kind = kindOf(this.client)
    this.commandTimeout = options.commandTimeout
    this.owned = options.kind !== 'client' || options.closeClient
    this.#managed = this.client as unknown as ManagedClient
    this.commands = this.#managed.withCommandOptions({ timeout: 0 }) as CommandClient
    this.#deadlines = new DeadlineQueue(options.commandTimeout)
    this.#onError = onError
    // Without a listener, @redis/client's 'error' event would crash the process on the first reconnect.
    this.#managed.on('error', onError)
  }

  /** Runs one command (or one pipelined batch) under the deadline, with errors translated. */
  run<T> (command: (commands: CommandClient) => Promise<T>): Promise<T> {
    let reply: Promise<T>
    try {
      reply = command(this.commands)
    } catch (err) {
      return Promise.reject(translateRedisError(err))
    }
    return this.#deadlines.track(reply)
  }

  /** Connects within `commandTimeout`, or fails with FST_CODEX_REDIS_UNAVAILABLE and leaves nothing open. */
  async connect (): Promise<void> {
    if (this.#managed.isOpen) return
    try {
      await this.#deadlines.track(this.#managed.connect())
    } catch (err) {
      await this.#destroy()
      throw err instanceof RedisUnavailableError ? err : translateRedisError(err)
    }
  }

  /** The single-node clients to SCAN: every master of a cluster, else the client itself. */
  async scanTargets (): Promise<CommandClient[]> {
    if (this.kind !== 'cluster') return [this.commands]
    const cluster = this.client as unknown as ClusterClient
    const nodes = await this.run(() => Promise.all(cluster.masters.map((master) => cluster.nodeClient(master))))
    return nodes.map((node) => (node as ManagedClient).withCommandOptions({ timeout: 0 }) as CommandClient)
  }

  /** Closes once: waits for in-flight commands, but never longer than `commandTimeout`. */
  close (): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close (): Promise<void> {
    if (!this.owned) {
      this.#managed.off('error', this.#onError)
      return
    }
    if (!this.#managed.isOpen) return
    const closed = this.#managed.close().then(() => true, () => false)
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<false>((resolve) => { timer = setTimeout(resolve, this.commandTimeout, false) })
    const graceful = await Promise.race([closed, timedOut])
    clearTimeout(timer)
    if (!graceful) await this.#destroy()
  }

  async #destroy (): Promise<void> {
    try {
      await this.#managed.destroy()
    } catch {
      // Already torn down: nothing is left open, which is all destroy is for.
    }
  }
}
