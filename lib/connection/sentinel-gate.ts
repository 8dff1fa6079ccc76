import { RedisUnavailableError } from '../errors.js'

/** What the gate reads of a @redis/client sentinel client. */
export interface SentinelLike {
  getMasterNode (): unknown
  ping (): Promise<unknown>
}

/**
 * Fails commands at once while a sentinel client has no connected master, as `disableOfflineQueue` does for a
 * single node: @redis/client's sentinel would hold them (re-asking the sentinels in a loop) until the deadline.
 * One PING at a time goes through instead, so the client keeps asking the sentinels and picks up the new master
 * as soon as they name it: it does not subscribe to `+switch-master` itself, only to the events around it.
 */
export class SentinelGate {
  readonly #client: SentinelLike
  #probing = false

  constructor (client: SentinelLike) {
    this.#client = client
  }

  /** Undefined while the master is connected; else the error to fail with now. */
  refuse (): Error | undefined {
    if (this.#client.getMasterNode() !== undefined) return undefined
    if (!this.#probing) {
      this.#probing = true
      // PING is safe to hold and retry, unlike the writes this gate turns away.
      this.#client.ping().catch(() => {}).finally(() => { this.#probing = false })
    }
    return new RedisUnavailableError('the Sentinel master is unreachable; waiting for the sentinels to name one')
  }
}
