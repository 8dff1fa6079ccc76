import type { RouteCacheHost } from './backend.js'
import { varyMetaKey } from './key.js'

/**
 * The request header names one route's key is made of: its `vary` option plus the `Vary` names its responses
 * showed (Django's two-step key). Learned names are kept in Redis for other processes and read once per process.
 */
export class RouteVary {
  readonly #host: RouteCacheHost
  readonly #pattern: string
  readonly #configured: readonly string[]
  /** `undefined`: not read from Redis yet. */
  #learned: string[] | undefined
  #names: readonly string[] = []

  constructor (host: RouteCacheHost, pattern: string, configured: readonly string[]) {
    this.#host = host
    this.#pattern = pattern
    this.#configured = configured
  }

  /** The names as known now, or `undefined` until they were read once (then call `load()`). */
  get known (): readonly string[] | undefined {
    return this.#learned === undefined ? undefined : this.#names
  }

  async load (): Promise<readonly string[]> {
    if (this.#learned === undefined) {
      const stored = await this.#host.backend.get(varyMetaKey(this.#pattern))
      this.#set(Array.isArray(stored) ? stored.filter((n): n is string => typeof n === 'string') : [])
    }
    return this.#names
  }

  /** A response's Vary names join the route's key from now on, here and (through Redis) in other processes. */
  learn (names: readonly string[]): void {
    const learned = this.#learned ?? []
    const fresh = names.filter((name) => name !== '*' && !learned.includes(name))
    if (fresh.length === 0) return
    const all = [...learned, ...fresh].sort()
    this.#set(all)
    this.#host.backend.set(varyMetaKey(this.#pattern), all, { ttl: null }).catch((err: unknown) => this.#host.failed(err, this.#pattern))
  }

  #set (names: string[]): void {
    this.#learned = names
    this.#names = [...new Set([...this.#configured, ...names])].sort()
  }
}
