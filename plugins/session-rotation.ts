import type { FastifyInstance } from 'fastify'
import type { CookieSigner } from '../lib/session/signer.js'

export interface RotationOptions {
  signer: CookieSigner
  /** The cookie name and prefix codexSession passes to @fastify/session, so both read one value. */
  cookieName: string
  cookiePrefix: string
}

/**
 * A cookie verified with an older secret differs from the Session's newly signed `encryptedSessionId`. Under
 * `saveUninitialized: false` @fastify/session then clears that cookie unless the session changed: a secret rotation
 * would log readers out. Saving the session (its documented `save()`) makes @fastify/session send the cookie signed
 * with the current secret after its clearing header. Runs before @fastify/session's onSend (added first) and
 * only reads the request; docs/upstream/fastify-session-rotated-cookie.md has the fix that needs no hook.
 */
export function keepRotatedSessions (fastify: FastifyInstance, { signer, cookieName, cookiePrefix }: RotationOptions): void {
  fastify.addHook('onSend', async (request) => {
    const session = request.session as Partial<typeof request.session> | null
    const signed = session?.encryptedSessionId
    // A saved or changed session gets its new cookie from @fastify/session itself.
    if (session?.sessionId === undefined || signed === undefined || session.isSaved?.() === true || session.isModified?.() === true) return
    const cookie = request.cookies[cookieName]
    if (cookie === undefined || !cookie.startsWith(cookiePrefix)) return
    const sent = cookie.slice(cookiePrefix.length)
    if (sent === signed) return
    // Only the same session: a new or regenerated one has another id, and its cookie is replaced as usual.
    const verified = signer.unsign(sent)
    if (!verified.valid || verified.value !== session.sessionId) return
    // @fastify/session never sends a Secure cookie it did not save over plain HTTP: neither do we.
    if (session.cookie?.secure === true && request.protocol !== 'https') return
    await session.save?.()
  })
}
