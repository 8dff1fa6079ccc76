import type { RedisConnection } from '../../connection/connection.js'

type Listener = (message: string, channel: string) => unknown

/** The pub/sub calls used here; single-node, cluster and sentinel clients all have them. */
interface PubSubClient {
  subscribe (channel: string, listener: Listener): Promise<unknown>
  unsubscribe (channel: string, listener: Listener): Promise<unknown>
  sSubscribe (channel: string, listener: Listener): Promise<unknown>
  sUnsubscribe (channel: string, listener: Listener): Promise<unknown>
}

interface DuplicableClient extends PubSubClient {
  duplicate (): DuplicableClient
  on (event: 'error', listener: (err: Error) => void): unknown
  connect (): Promise<unknown>
  unref (): void
  destroy (): unknown
}

/**
 * Wakes waiting getOrSet callers when a key's computation ends: one channel per namespace. A single node needs a
 * duplicate connection (a subscribed RESP2 connection runs nothing else); a cluster uses sharded pub/sub (one shard).
 */
export class Notifier {
  readonly #connection: RedisConnection
  readonly #channel: string
  readonly #waiters = new Map<string, Set<() => void>>()
  readonly #onMessage: Listener = (fullKey) => {
    const waiters = this.#waiters.get(fullKey)
    if (waiters !== undefined) for (const wake of waiters) wake()
  }

  #subscribing: Promise<boolean> | undefined
  #subscriber: DuplicableClient | undefined
  #closed = false

  constructor (connection: RedisConnection, channel: string) {
    this.#connection = connection
    this.#channel = channel
  }

  /** Whether messages are being delivered; subscribes on first use, within the connection's commandTimeout. */
  ready (): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false)
    this.#subscribing ??= this.#subscribe().then((ok) => {
      // A failed attempt is retried by the next waiter; meanwhile waiters fall back to short re-checks.
      if (!ok) this.#subscribing = undefined
      return ok
    })
    return this.#subscribing
  }

  /** Calls `wake` whenever `fullKey` is announced, until the returned function is called. */
  watch (fullKey: string, wake: () => void): () => void {
    let waiters = this.#waiters.get(fullKey)
    if (waiters === undefined) this.#waiters.set(fullKey, waiters = new Set())
    waiters.add(wake)
    return () => {
      waiters.delete(wake)
      if (waiters.size === 0 && this.#waiters.get(fullKey) === waiters) this.#waiters.delete(fullKey)
    }
  }

  /** Announces that `fullKey`'s computation is over (stored, skipped or failed). */
  publish (fullKey: string): Promise<number> {
    return this.#connection.run((c) => this.#connection.topology === 'cluster'
      ? c.sPublish(this.#channel, fullKey)
      : c.publish(this.#channel, fullKey))
  }

  async close (): Promise<void> {
    this.#closed = true
    const subscribing = this.#subscribing
    this.#subscribing = undefined
    if (subscribing === undefined || !await subscribing) return
    const subscriber = this.#subscriber
    this.#subscriber = undefined
    if (subscriber === undefined) await this.#leaveShared()
    else subscriber.destroy()
  }

  /** The shared client stays open (it is not ours to close here): only our listener goes. */
  async #leaveShared (): Promise<void> {
    const client = this.#connection.client as unknown as PubSubClient
    const leaving = this.#connection.topology === 'cluster'
      ? client.sUnsubscribe(this.#channel, this.#onMessage)
      : client.unsubscribe(this.#channel, this.#onMessage)
    await leaving.catch(() => {})
  }

  async #subscribe (): Promise<boolean> {
    const connection = this.#connection
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<false>((resolve) => { timer = setTimeout(resolve, connection.commandTimeout, false).unref() })
    let subscriber: DuplicableClient | undefined
    const attempt = async (): Promise<boolean> => {
      if (connection.topology === 'cluster') {
        await (connection.client as unknown as PubSubClient).sSubscribe(this.#channel, this.#onMessage)
      } else if (connection.topology === 'sentinel') {
        await (connection.client as unknown as PubSubClient).subscribe(this.#channel, this.#onMessage)
      } else {
        subscriber = (connection.client as unknown as DuplicableClient).duplicate()
        // Without a listener, a reconnect's 'error' event would crash the process; the main client logs outages.
        subscriber.on('error', () => {})
        await subscriber.connect()
        subscriber.unref()
        await subscriber.subscribe(this.#channel, this.#onMessage)
      }
      return true
    }
    const ok = await Promise.race([attempt().catch(() => false), timedOut])
    clearTimeout(timer)
    if (ok && !this.#closed) {
      this.#subscriber = subscriber
      return true
    }
    // Failed, too slow or closed meanwhile: leave nothing open behind.
    try { subscriber?.destroy() } catch {}
    if (ok && subscriber === undefined) await this.#leaveShared()
    return false
  }
}
