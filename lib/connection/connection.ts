import { RedisUnavailableError } from '../errors.js'
import { availabilityOf } from './availability.js'
import type { Topology, ClusterClient, CommandClient, ManagedClient, RedisClientLike } from './client-types.js'
import { createRedisClient } from './create-client.js'
import { DeadlineQueue } from './deadline.js'
import { DeadlineSignals } from './deadline-signals.js'
import type { ResolvedConnectionOptions } from './options.js'
import { failureKind, tlsHint, translateRedisError, translateSetupError } from './translate-error.js'

type RedisErrorListener = (err: Error) => void

function topologyOf (client: RedisClientLike): Topology {
  if ('nodeClient' in client) return 'cluster'
  if ('getMasterNode' in client) return 'sentinel'
  return 'single'
}

function withoutOfflineQueue (client: RedisClientLike): boolean {
  return (client as { options?: { disableOfflineQueue?: unknown } }).options?.disableOfflineQueue === true
}

/** One Redis client, each command under a deadline with its errors translated; closes only a client it created. */
export class RedisConnection {
  readonly topology: Topology
  readonly commandTimeout: number
  readonly client: RedisClientLike
  /** Commands without @redis/client's per-command timeout; every call goes through `run`. */
  readonly commands: CommandClient
  readonly owned: boolean
  readonly #created: boolean
  readonly #label: string
  /** The url of a single node, to hint at a TLS mismatch. */
  readonly #url: string | undefined
  readonly #managed: ManagedClient
  readonly #deadlines: DeadlineQueue
  readonly #signals: DeadlineSignals<CommandClient> | undefined
  readonly #onError: RedisErrorListener | undefined
  #closing: Promise<void> | undefined

  /**
   * `onError` receives the client's error events; without one, the caller must have attached its own. `observed`:
   * its outages are published (`fastify-codex:redis:*`); off for the near cache's tracking twin of an observed client.
   */
  constructor (options: ResolvedConnectionOptions, onError?: RedisErrorListener, observed = true) {
    this.client = createRedisClient(options)
    this.topology = topologyOf(this.client)
    this.commandTimeout = options.commandTimeout
    this.#created = options.kind !== 'client'
    this.owned = options.kind !== 'client' || options.closeClient
    this.#label = options.kind === 'single' ? options.label : `Redis ${this.topology}`
    this.#url = options.kind === 'single' && 'url' in options.address ? options.address.url : undefined
    this.#managed = this.client as unknown as ManagedClient
    this.commands = this.#managed.withCommandOptions({ timeout: 0 }) as CommandClient
    // Cluster and sentinel layers (and a passed-in client's offline queue) can hold a command and send it after its
    // 503: such commands carry a signal aborted at their deadline. A single-node client without an offline queue (ours,
    // or yours made with disableOfflineQueue) never holds one: it rejects while disconnected and flushes all on a drop.
    const holdsNothing = this.topology === 'single' && (this.#created || withoutOfflineQueue(this.client))
    const signals = holdsNothing ? undefined : new DeadlineSignals(options.commandTimeout, this.#view)
    this.#signals = signals
    this.#deadlines = new DeadlineQueue(options.commandTimeout, signals === undefined ? undefined : (now) => signals.abortDue(now), observed ? availabilityOf(this.client) : undefined)
    this.#onError = onError
    // Without a listener, @redis/client's 'error' event would crash the process on the first reconnect.
    if (onError !== undefined) this.#listen(onError)
  }

  /** Runs one command (or one pipelined batch) under the deadline, with errors translated; `discard`: resolves `undefined`. */
  run<T> (command: (commands: CommandClient) => Promise<T>): Promise<T>
  run (command: (commands: CommandClient) => Promise<unknown>, discard: true): Promise<void>
  run<T> (command: (commands: CommandClient) => Promise<T>, discard?: true): Promise<T | void> {
    let reply: Promise<T>
    try {
      reply = command(this.#signals?.view() ?? this.commands)
    } catch (err) {
      return Promise.reject(translateRedisError(err))
    }
    return discard === true ? this.#deadlines.track(reply, true) : this.#deadlines.track(reply)
  }

  /**
   * Connects within `commandTimeout` of `startedAt` (a `performance.now()` reading; default: now), or fails with
   * FST_CODEX_REDIS_UNAVAILABLE and leaves nothing of ours open.
   */
  async connect (startedAt = performance.now()): Promise<void> {
    if (this.#managed.isOpen) return
    let lastError: Error | undefined
    let refuse: (err: Error) => void = () => {}
    // @redis/client retries a refused setup forever; a wrong database, password or protocol will not fix itself.
    const remember = (err: Error): void => {
      lastError = err
      const setupError = translateSetupError(err, this.#label)
      if (setupError !== undefined) refuse(setupError)
    }
    this.#listen(remember)
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((resolve, reject) => {
      refuse = reject
      const left = Math.max(0, startedAt + this.commandTimeout - performance.now())
      timer = setTimeout(() => reject(this.#connectTimedOut(lastError)), left)
    })
    try {
      await Promise.race([this.#managed.connect(), timedOut])
    } catch (err) {
      // Reject now; close() waits for the teardown (a sentinel's can last one of its 1 s retry pauses).
      // A client the caller passed in stays theirs: we only stop listening to it.
      this.#closing ??= this.owned ? this.#destroy().then(() => this.#guardLateConnect()) : this.#close()
      throw translateSetupError(err, this.#label) ?? translateRedisError(err)
    } finally {
      clearTimeout(timer)
      this.#unlisten(remember)
    }
  }

  readonly #view = (abortSignal: AbortSignal): CommandClient =>
    this.#managed.withCommandOptions({ timeout: 0, abortSignal }) as CommandClient

  #connectTimedOut (lastError: Error | undefined): Error {
    const message = `could not connect to ${this.#label} within ${this.commandTimeout} ms`
    const hint = tlsHint(this.#url, lastError)
    return lastError === undefined
      ? new RedisUnavailableError(`${message} (no answer${hint})`)
      : new RedisUnavailableError(`${message} (last error: ${failureKind(lastError)}${hint})`, { cause: lastError })
  }

  /** The single-node clients to SCAN: every master of a cluster, else the client itself. */
  async scanTargets (): Promise<CommandClient[]> {
    if (this.topology !== 'cluster') return [this.commands]
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
      if (this.#onError !== undefined) this.#unlisten(this.#onError)
      return
    }
    if (this.#managed.isOpen) {
      const closed = this.#managed.close().then(() => true, () => false)
      let timer: NodeJS.Timeout | undefined
      const timedOut = new Promise<false>((resolve) => { timer = setTimeout(resolve, this.commandTimeout, false) })
      const graceful = await Promise.race([closed, timedOut])
      clearTimeout(timer)
      if (!graceful) await this.#destroy()
    }
    this.#guardLateConnect()
  }

  async #destroy (): Promise<void> {
    try {
      await this.#managed.destroy()
    } catch {
      // Already torn down: nothing is left open, which is all destroy is for.
    }
  }

  // @redis/client 6 lets a reconnect whose TCP connect was in flight at close() complete and stay open,
  // which would keep the process alive; nobody may reconnect a client we created and closed, so end it.
  #guardLateConnect (): void {
    if (!this.#created || this.topology === 'sentinel') return
    // Likewise a cluster's topology refresh in flight at close() (one runs on each reconnect attempt) opens node clients.
    this.#managed.on(this.topology === 'cluster' ? 'node-connect' : 'connect', () => { this.#destroy().catch(() => {}) })
  }

  #listen (listener: RedisErrorListener): void {
    this.#managed.on('error', listener)
    // A cluster reports its node clients' failures as 'node-error'.
    if (this.topology === 'cluster') this.#managed.on('node-error', listener)
  }

  #unlisten (listener: RedisErrorListener): void {
    this.#managed.off('error', listener)
    if (this.topology === 'cluster') this.#managed.off('node-error', listener)
  }
}
