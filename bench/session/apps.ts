import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import { RedisStore } from 'connect-redis'
import { createClient } from 'redis'

export const SESSION_CONTESTANTS = ['no session (ceiling)', '@fastify/session memory', '@fastify/session + connect-redis', 'fastify-codex'] as const
export type SessionContestant = typeof SESSION_CONTESTANTS[number]

export const NO_SESSION: SessionContestant = 'no session (ceiling)'
export const MEMORY: SessionContestant = '@fastify/session memory'
export const CONNECT_REDIS: SessionContestant = '@fastify/session + connect-redis'
export const CODEX: SessionContestant = 'fastify-codex'

const SECRET = 'a-bench-secret-that-is-at-least-32-characters-long'
// Plain http on loopback: the secure flag would stop the browser side (autocannon) from getting a cookie at all.
const COOKIE = { secure: false }

/** What a logged-in session holds: a user id, a name and roles. */
export function sampleUser (n: number): { id: string, name: string, email: string, roles: string[], visits: number } {
  return { id: `user-${n}`, name: `User Number ${n}`, email: `user${n}@example.com`, roles: ['reader', 'writer'], visits: 0 }
}

interface UserSession { id: string, visits: number }

/** Session fields by name, without declaring them on Fastify's global Session type. */
interface SessionFields {
  get (key: string): unknown
  set (key: string, value: unknown): void
}

function sessionOf (request: FastifyRequest): SessionFields {
  return request.session as unknown as SessionFields
}

/**
 * Three routes, the same for every contestant: GET /login starts a session, GET /read only reads it,
 * POST /visit reads, modifies and writes it. `none` keeps the same state in process memory (the ceiling).
 */
function routes (app: FastifyInstance, withSession: boolean): void {
  let logins = 0
  const inProcess = sampleUser(0)
  app.get('/login', async (request) => {
    const user = sampleUser(++logins)
    if (withSession) sessionOf(request).set('user', user)
    return { id: user.id }
  })
  app.get('/read', async (request) => {
    const user = withSession ? sessionOf(request).get('user') as UserSession | undefined : inProcess
    if (user === undefined) throw Object.assign(new Error('no session'), { statusCode: 401 })
    return { id: user.id, visits: user.visits }
  })
  app.post('/visit', async (request) => {
    const user = withSession ? sessionOf(request).get('user') as UserSession | undefined : inProcess
    if (user === undefined) throw Object.assign(new Error('no session'), { statusCode: 401 })
    const updated = { ...user, visits: user.visits + 1 }
    if (withSession) sessionOf(request).set('user', updated)
    else inProcess.visits = updated.visits
    return { id: updated.id, visits: updated.visits }
  })
}

/** Each contestant with the library's defaults (only `secure: false`, since this is plain http). */
export async function buildApp (contestant: SessionContestant, redisUrl: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  switch (contestant) {
    case NO_SESSION:
      break
    case MEMORY:
      await app.register(fastifyCookie)
      await app.register(fastifySession, { secret: SECRET, cookie: COOKIE })
      break
    case CONNECT_REDIS: {
      const client = createClient({ url: redisUrl })
      client.on('error', () => {})
      await client.connect()
      app.addHook('onClose', async () => { await client.close() })
      await app.register(fastifyCookie)
      await app.register(fastifySession, { secret: SECRET, cookie: COOKIE, store: new RedisStore({ client }) })
      break
    }
    case CODEX: {
      const { codexSession } = await import('../../plugins/session.js')
      await app.register(codexSession, { url: redisUrl, secret: SECRET, cookie: COOKIE, projectName: 'bench' })
      break
    }
  }
  routes(app, contestant !== NO_SESSION)
  return app
}
