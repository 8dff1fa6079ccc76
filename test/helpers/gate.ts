import { once } from 'node:events'

/**
 * Holds a request after it has loaded its session until the test lets it go: how tests stage
 * "another request logs out while this one is still running".
 */
export class Gate {
  readonly #arrived = new EventTarget()
  #open!: () => void
  readonly #released = new Promise<void>((resolve) => { this.#open = resolve })

  /** In a route: announce the arrival, then wait for `open()`. */
  async hold (): Promise<void> {
    this.#arrived.dispatchEvent(new Event('arrived'))
    await this.#released
  }

  /** Resolves when the next request reaches `hold()`; take it before sending that request. */
  arrival (): Promise<unknown> {
    return once(this.#arrived, 'arrived')
  }

  /** Lets every held request (and any later one) go on. */
  open (): void {
    this.#open()
  }
}
