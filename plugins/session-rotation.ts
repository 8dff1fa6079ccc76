import type { FastifyInstance } from 'fastify'
import type { CookieSigner } from '../lib/session/signer.js'

export interface RotationOptions {
  signer: CookieSigner
  cookieName: string
  cookiePrefix: string
  rolling: boolean
}

/**
 * A cookie verified with an older secret (or by a signer that signs an id differently each time) gets a Session whose
 * `encryptedSessionId` is another text. Under `saveUninitialized: false` @fastify/session then saves only a changed
 * session and otherwise clears the cookie: a secret rotation would log readers out. This onSend hook, added before
 * @fastify/session's, hands it the request's cookie as the Session's own text, so its usual rules apply (`rolling`,
 * no save over an insecure connection) and the reply carries the newly signed cookie, once, with no clearing header.
 */
export function keepRotatedSessions (fastify: FastifyInstance, { signer, cookieName, cookiePrefix, rolling }: RotationOptions): void {
  fastify.addHook('onSend', async (request) => {
    const session = request.session as Partial<typeof request.session> | null
    const signed = session?.encryptedSessionId
    if (session?.sessionId === undefined || signed === undefined) return
    const cookie = request.cookies[cookieName]
    if (cookie === undefined || !cookie.startsWith(cookiePrefix)) return
    const sent = cookie.slice(cookiePrefix.length)
    if (sent === signed) return
    // Only the same session: a new or regenerated one has another id, and its cookie is replaced as usual. Verified
    // again because @fastify/session keeps no record of which id the cookie carried; reached only by a differing cookie.
    const verified = signer.unsign(sent)
    if (!verified.valid || verified.value !== session.sessionId) return
    request.cookies[cookieName] = cookiePrefix + signed
    // Without rolling, @fastify/session re-sends only a saved cookie; saving an unchanged session writes no payload.
    const insecure = session.cookie?.secure === true && request.protocol !== 'https'
    if (!rolling && !insecure) await session.save?.()
  })
}
