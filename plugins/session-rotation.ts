import type { FastifyInstance } from 'fastify'

export interface RotationOptions {
  cookieName: string
  cookiePrefix: string
}

/**
 * A cookie signed with an older secret gets a Session signed with the first one. Under `saveUninitialized: false`
 * @fastify/session saves such a session only if it changed, and otherwise clears the cookie: a user logged out by a
 * secret rotation. This onSend hook, added before @fastify/session's, saves it (no write when unchanged), so the
 * reply carries the cookie signed with the first secret instead.
 */
export function keepRotatedSessions (fastify: FastifyInstance, { cookieName, cookiePrefix }: RotationOptions): void {
  fastify.addHook('onSend', async (request) => {
    const session = request.session as Partial<typeof request.session> | null
    if (session?.sessionId === undefined || session.encryptedSessionId === undefined) return
    const cookie = request.cookies[cookieName]
    if (cookie === undefined || !cookie.startsWith(cookiePrefix)) return
    const sent = cookie.slice(cookiePrefix.length)
    // Same id, another signature: verified with an older secret. A new or regenerated session has another id.
    if (sent === session.encryptedSessionId || sent.slice(0, sent.lastIndexOf('.')) !== session.sessionId) return
    await session.save?.()
  })
}
