/** What @fastify/session asks of a cookie signer (@fastify/cookie's Signer has it). */
export interface CookieSigner {
  sign: (value: string) => string
  unsign: (input: string) => { valid: true, renew: boolean, value: string } | { valid: false, renew: false, value: null }
}

// Ids verified but never signed again (no session stored, a failed load) are dropped wholesale at this size.
const MAX_REMEMBERED = 4096

/**
 * @fastify/session verifies a request's cookie, loads the session and then signs the same id again for its Session:
 * a second HMAC (~4 µs) that yields the text just verified. This signer remembers each cookie verified with the
 * signing secret until its id is signed, and hands that text back. A cookie verified with an older secret
 * (`renew`) is signed afresh, so secret rotation works as before. Only for @fastify/cookie's Signer, whose
 * signature is one exact text per id (a custom signer may not be).
 */
export class RememberingSigner implements CookieSigner {
  readonly #inner: CookieSigner
  readonly #verified = new Map<string, string>()

  constructor (inner: CookieSigner) {
    this.#inner = inner
  }

  sign (value: string): string {
    const signed = this.#verified.get(value)
    if (signed === undefined) return this.#inner.sign(value)
    this.#verified.delete(value)
    return signed
  }

  unsign (input: string): ReturnType<CookieSigner['unsign']> {
    const result = this.#inner.unsign(input)
    if (result.valid && !result.renew) {
      if (this.#verified.size >= MAX_REMEMBERED) this.#verified.clear()
      this.#verified.set(result.value, input)
    }
    return result
  }
}
