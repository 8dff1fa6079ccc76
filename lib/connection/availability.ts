import { restoredChannel, unavailableChannel } from '../observe/channels.js'

/** A client's outages: the first command failing for want of Redis starts one, the first answer after it ends it. */
export class Availability {
  #downSince: number | undefined

  get isDown (): boolean {
    return this.#downSince !== undefined
  }

  /** A command failed with FST_CODEX_REDIS_UNAVAILABLE: `fastify-codex:redis:unavailable` at the first of an outage. */
  failed (error: Error): void {
    if (this.#downSince !== undefined) return
    this.#downSince = performance.now()
    if (unavailableChannel.hasSubscribers) unavailableChannel.publish({ error })
  }

  /** Redis answered (a reply or a Redis error): `fastify-codex:redis:restored` with `downMs` if it was down. */
  answered (): void {
    const since = this.#downSince
    if (since === undefined) return
    this.#downSince = undefined
    if (restoredChannel.hasSubscribers) restoredChannel.publish({ downMs: Math.round(performance.now() - since) })
  }
}

const byClient = new WeakMap<object, Availability>()

/** The availability of `client`, shared by every connection over it. */
export function availabilityOf (client: object): Availability {
  let availability = byClient.get(client)
  if (availability === undefined) byClient.set(client, availability = new Availability())
  return availability
}
