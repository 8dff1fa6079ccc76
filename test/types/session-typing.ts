// Type-level checks, compiled by `tsc --noEmit` (npm test): a wrong type here fails the build.
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import { createClient } from '@redis/client'
import Fastify from 'fastify'
import { codexSession, RedisSessionStore, SessionAdmin, type CodexSessionOptions } from '../../index.js'

// How users type their session data: extend @fastify/session's `Session` (as the README shows).
// Declarations merge across the program, so `userId` matches the demo app's.
declare module 'fastify' {
  interface Session {
    userId?: string
    cart?: string[]
    visits?: number
  }
}

const app = Fastify()
await app.register(codexSession, {
  secret: 'a-secret-with-at-least-32-characters!',
  projectName: 'shop',
  keyPrefix: 'sess',
  ttl: 3600,
  userKey: 'userId',
  commandTimeout: 500,
  cookie: { maxAge: 60_000, secure: 'auto', sameSite: 'lax' },
  cookieName: 'sid',
  rolling: true,
  saveUninitialized: false
})

app.post('/login', async (request) => {
  await request.session.regenerate()
  request.session.set('userId', 'ada')
  request.session.cart = ['apple']
  const visits: number | undefined = request.session.get('visits')
  request.session.visits = (visits ?? 0) + 1
  const user: string | undefined = request.session.userId

  // @ts-expect-error userId is declared as a string
  request.session.set('userId', 42)
  // @ts-expect-error cart holds strings
  request.session.cart = [1]
  // @ts-expect-error a field nobody declared
  request.session.set('isAdmin', true)
  // @ts-expect-error a field nobody declared
  request.session.get('isAdmin')

  await request.session.destroy()
  return { user }
})

const sessions: SessionAdmin = app.sessions
const ids: string[] = await sessions.listUser('ada')
const revoked: number = await sessions.revokeUser(42)
const count: number = await sessions.count()
const existed: boolean = await sessions.destroy('id')
export const admin = [ids, revoked, count, existed]

// @ts-expect-error user ids are strings or numbers
await sessions.listUser({ id: 1 })
// @ts-expect-error session ids are strings
await sessions.destroy(1)

// The same store under a @fastify/session the user registers.
const client = createClient({ url: 'redis://127.0.0.1:6379' })
const store = new RedisSessionStore({ client, ttl: 60, userKey: 'userId', keyPrefix: 'sess', commandTimeout: 500 })
const standalone = Fastify()
await standalone.register(fastifyCookie)
await standalone.register(fastifySession, { secret: 'a-secret-with-at-least-32-characters!', store })
export const storeAdmin: SessionAdmin = store.sessions

// @ts-expect-error a client is required
export const noClient = new RedisSessionStore({ ttl: 60 })
// @ts-expect-error ttl is seconds, not a string
export const badStoreTtl = new RedisSessionStore({ client, ttl: '1h' })
// @ts-expect-error codexSession brings its own store
export const withStore: CodexSessionOptions = { secret: 'a-secret-with-at-least-32-characters!', store }
// @ts-expect-error the secret is required
export const noSecret: CodexSessionOptions = { keyPrefix: 'sess' }
// @ts-expect-error unknown options are refused
export const typo: CodexSessionOptions = { secret: 'a-secret-with-at-least-32-characters!', userkey: 'userId' }

// connect-redis style: every method takes an optional callback; without one it returns a promise.
const loaded: import('fastify').Session | null = await store.get('id')
if (loaded !== null) await store.set('id', loaded)
await store.destroy('id')
await store.touch('id', loaded!)
store.get('id', (err, session) => { if (err === null) console.log(session) })
store.set('id', loaded!, (err) => { console.log(err) })
const howMany: number = await store.length()
const idList: string[] = await store.ids()
for await (const id of store.ids()) console.log(id.length)
for await (const { id, session } of store.all()) console.log(id, session.cookie)
const cleared: number = await store.clear()
store.ids((err, list) => { console.log(err, list?.length) })
export const parity = [howMany, idList, cleared]
export const perSession = new RedisSessionStore({ client, ttl: (session) => session.userId === undefined ? 600 : 86_400, disableTouch: true })
// @ts-expect-error a ttl function returns seconds
export const badTtlFunction = new RedisSessionStore({ client, ttl: () => '1h' })

// docs/readme/sessions.md, as pasted
export async function countAdmins (store: RedisSessionStore): Promise<number> {
  let admins = 0
  for await (const { session } of store.all()) if (session.role === 'admin') admins++
  return admins
}

// userKey names a field of your `interface Session` holding a string or number id.
export const byVisits: CodexSessionOptions = { secret: 'a-secret-with-at-least-32-characters!', userKey: 'visits' }
// @ts-expect-error a typo'd userKey is not a field of Session
export const typoUserKey: CodexSessionOptions = { secret: 'a-secret-with-at-least-32-characters!', userKey: 'userid' }
// @ts-expect-error cart holds a list, not a user id
export const listUserKey = new RedisSessionStore({ client, userKey: 'cart' })
// @ts-expect-error the cookie is not a user id
export const cookieUserKey: CodexSessionOptions = { secret: 'a-secret-with-at-least-32-characters!', userKey: 'cookie' }
