import { Writable } from 'node:stream'
import { Signer } from '@fastify/cookie'
import Fastify, { type FastifyInstance, type FastifyRequest, type LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { codexSession, type CodexSessionOptions } from '../../plugins/session.js'
import type { RedisServer } from './redis-server.js'

export const SECRET = 'a-secret-with-at-least-32-characters!'
export const COOKIE = 'sessionId'

export interface LogLine { level: number, msg: string, [key: string]: unknown }

/** A Fastify app with codexSession on `redis`, closed in teardown; `logs` collects warn+ lines. */
export async function sessionApp (
  t: Pick<Test, 'teardown'>,
  redis: RedisServer,
  options: Partial<CodexSessionOptions> = {},
  routes: (app: FastifyInstance) => void = defaultRoutes
): Promise<{ app: FastifyInstance, logs: LogLine[] }> {
  const logs: LogLine[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') logs.push(JSON.parse(line) as LogLine)
      done()
    }
  })
  const app = Fastify({ logger: { level: 'warn', stream } })
  t.teardown(() => app.close())
  await app.register(codexSession, { url: redis.url, secret: SECRET, cookie: { secure: false }, ...options })
  routes(app)
  await app.ready()
  return { app, logs }
}

/** The session's user fields, as a plain record (tests use fields no `interface Session` declares). */
export function fields (request: FastifyRequest): Record<string, unknown> {
  return request.session as unknown as Record<string, unknown>
}

/**
 * GET /read → the session's fields; POST /set → merges the JSON body into the session;
 * POST /login {user} → regenerate, then set `user`; POST /logout → destroy.
 */
export function defaultRoutes (app: FastifyInstance): void {
  app.get('/read', async (request) => ({ ...fields(request), cookie: undefined }))
  app.post('/set', async (request) => {
    for (const [key, value] of Object.entries(request.body as object)) fields(request)[key] = value
    return { ok: true }
  })
  app.post('/login', async (request) => {
    await request.session.regenerate()
    fields(request).user = (request.body as { user: unknown }).user
    return { id: request.session.sessionId }
  })
  app.post('/logout', async (request) => {
    await request.session.destroy()
    return { ok: true }
  })
}

/** The session cookie a response sets, as `{ value, expires }`, or undefined: the last one, which a browser keeps. */
export function setCookie (res: LightMyRequestResponse, name = COOKIE): { value: string, expires: Date | undefined } | undefined {
  const cookie = res.cookies.findLast((c) => c.name === name)
  if (cookie === undefined) return undefined
  const expires = (cookie as { expires?: Date }).expires
  return { value: cookie.value, expires }
}

/** The session id inside a signed cookie value (`id.signature`). */
export function idOf (cookieValue: string): string {
  return cookieValue.slice(0, cookieValue.lastIndexOf('.'))
}

/** The cookie value @fastify/session expects for session id `id` under SECRET. */
export function signedId (id: string): string {
  return new Signer(SECRET, 'sha256').sign(id)
}

export function cookieHeader (value: string, name = COOKIE): Record<string, string> {
  return { cookie: `${name}=${value}` }
}

/** Calls of one command since the last `CONFIG RESETSTAT`, from INFO commandstats. */
export async function commandCalls (redis: RedisServer, command: string): Promise<number> {
  const info = await redis.cli('INFO', 'commandstats')
  const match = new RegExp(`^cmdstat_${command.toLowerCase()}:calls=(\\d+)`, 'm').exec(info)
  return match === null ? 0 : Number(match[1])
}

export async function keys (redis: RedisServer, pattern = '*'): Promise<string[]> {
  const out = await redis.cli('--scan', '--pattern', pattern)
  // SCAN may return a key twice (the table rehashing under it, e.g. right after a mass delete): a key is listed once.
  return [...new Set(out.split('\n').filter((k) => k !== ''))].sort()
}
