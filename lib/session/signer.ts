import { timingSafeEqual } from 'node:crypto'
import { Signer } from '@fastify/cookie'
import { InvalidOptionsError } from '../errors.js'

/** What @fastify/session asks of a cookie signer (@fastify/cookie's Signer has it). */
export interface CookieSigner {
  sign: (value: string) => string
  unsign: (input: string) => { valid: boolean, renew: boolean, value: string | null }
}

// About a megabyte of ids and signatures; past it the memo starts over (a miss only costs the HMAC again).
const MAX_REMEMBERED = 8192

/** Constant-time, as the signer's own comparison: how much of a signature matched must not show in the timing. */
function sameText (a: string, b: string): boolean {
  // Lengths in bytes: a non-ASCII character makes equal-length strings unequal buffers, which timingSafeEqual refuses.
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * @fastify/session verifies each request's cookie (an HMAC of the id), then signs the same id again: this signer
 * remembers each cookie the real one verified, and anything else (a forgery, an older secret) goes to the real one.
 * Only for @fastify/cookie's Signer, whose signature is one exact text per id (a custom signer's may not be).
 */
export class RememberingSigner implements CookieSigner {
  readonly #inner: CookieSigner
  /** id → `id.signature` with the signing secret, as the real signer made or verified it. */
  readonly #signed = new Map<string, string>()

  constructor (inner: CookieSigner) {
    this.#inner = inner
  }

  sign (value: string): string {
    // A new id is not remembered: every cookieless request signs one, and most never come back.
    return this.#signed.get(value) ?? this.#inner.sign(value)
  }

  unsign (input: string): ReturnType<CookieSigner['unsign']> {
    const dot = input.lastIndexOf('.')
    if (dot !== -1) {
      const value = input.slice(0, dot)
      const known = this.#signed.get(value)
      if (known !== undefined && sameText(known, input)) return { valid: true, renew: false, value }
    }
    const result = this.#inner.unsign(input)
    if (result.valid && !result.renew && result.value !== null) {
      if (this.#signed.size >= MAX_REMEMBERED) this.#signed.clear()
      this.#signed.set(result.value, input)
    }
    return result
  }
}

/** @fastify/session's own secret check, made with our code: a string of 32+ characters or a non-empty list of strings. */
export function checkSecrets (secret: unknown): asserts secret is string | string[] {
  if (typeof secret === 'string') {
    if (secret.length < 32) throw new InvalidOptionsError('secret must be at least 32 characters long')
    return
  }
  if (!Array.isArray(secret) || secret.length === 0 || !secret.every((s) => typeof s === 'string' && s !== '')) {
    throw new InvalidOptionsError('secret must be a string of 32+ characters or a list of non-empty strings (the first signs)')
  }
}

/**
 * The cookie signer codexSession uses, for a @fastify/session of your own (`secret: sessionSigner(secret)`):
 * @fastify/cookie's Signer, which remembers the cookies it verified so a returning one costs no HMAC.
 */
export function sessionSigner (secret: string | string[], algorithm?: string): CookieSigner {
  checkSecrets(secret)
  try {
    return new RememberingSigner(new Signer(secret, algorithm))
  } catch (err) {
    // The Signer refuses an algorithm this Node.js cannot HMAC with.
    throw new InvalidOptionsError(`algorithm: ${(err as Error).message}`)
  }
}
