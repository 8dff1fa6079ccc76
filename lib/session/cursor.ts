/**
 * What `ids()` / `all()` return: `for await (const x of cursor)` walks the store batch by batch (bounded memory,
 * however many sessions there are); `await cursor` (connect-redis style) collects everything into an array.
 */
export class SessionCursor<T> implements AsyncIterable<T>, PromiseLike<T[]> {
  readonly #batches: () => AsyncIterable<T[]>

  constructor (batches: () => AsyncIterable<T[]>) {
    this.#batches = batches
  }

  /** The items a batch at a time (one SCAN reply each), for callers that work in batches. */
  batches (): AsyncIterable<T[]> {
    return this.#batches()
  }

  async * [Symbol.asyncIterator] (): AsyncGenerator<T> {
    for await (const batch of this.#batches()) yield * batch
  }

  async toArray (): Promise<T[]> {
    const all: T[] = []
    for await (const batch of this.#batches()) all.push(...batch)
    return all
  }

  // Thenable: `await store.ids()` gives the array, as connect-redis does.
  then<A = T[], B = never> (onFulfilled?: ((value: T[]) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): PromiseLike<A | B> {
    return this.toArray().then(onFulfilled, onRejected)
  }
}
