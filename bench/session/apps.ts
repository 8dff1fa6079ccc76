import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import fastifyCookie from '@fastify/cookie'
import fastifySession, { type SessionStore } from '@fastify/session'
import { createClient as createClient6 } from '@redis/client'
import { RedisStore } from 'connect-redis'
import { createClient } from 'redis'

export const NO_SESSION = 'no session (Fastify only)'
export const MEMORY = '@fastify/session memory'
/** The fastest peer: connect-redis on the `redis` v5 client it is built for. */
export const FASTEST_PEER = 'connect-redis on redis v5'
export const CR6_NO_TIMEOUT = 'connect-redis on @redis/client 6 (timeout 0)'
/** Today's default install: @redis/client 6 builds an AbortSignal timer for every command. */
export const CR6_DEFAULTS = 'connect-redis on @redis/client 6 (defaults)'
/** The ceiling for any store under @fastify/session: a Map answering on setImmediate. */
export const CEILING = 'setImmediate Map (ceiling)'
/**
 * What Redis alone costs a store under @fastify/session: the ceiling's Map, plus the round trips no Redis store can
 * skip (a GET per load, a payload-sized SET per change), with no JSON and no checks.
 */
export const REDIS_FLOOR = 'Redis round trips only (floor)'
/**
 * The floor for a store that keeps JSON in Redis: the round trips plus JSON.parse on load and JSON.stringify on a
 * change, handing @fastify/session a plain object (which, unlike the Map's live Session, makes it sign the id again).
 */
export const JSON_FLOOR = 'Redis + JSON round trips only (floor)'
export const CODEX = 'fastify-codex'
/** Our store in a user-registered @fastify/session (as connect-redis is), on a client made as the README advises. */
export const CODEX_STORE = 'fastify-codex store in @fastify/session'
/** The same, with `secret: sessionSigner(secret)` as docs/sessions.md advises (a returning cookie costs no HMAC). */
export const CODEX_STORE_SIGNER = 'fastify-codex store + sessionSigner in @fastify/session'

export const SESSION_CONTESTANTS = [NO_SESSION, MEMORY, CEILING, REDIS_FLOOR, JSON_FLOOR, FASTEST_PEER, CR6_NO_TIMEOUT, CR6_DEFAULTS, CODEX, CODEX_STORE, CODEX_STORE_SIGNER] as const
/**
 * A listed contestant, or `fastify-codex [name]`: the plugin from scratch/<name>/plugins/session.ts, a modified copy
 * of lib/ + plugins/ built by bench/session/build-variant.sh, to measure a proposal against ours in the same rounds.
 */
export type SessionContestant = typeof SESSION_CONTESTANTS[number] | `fastify-codex [${string}]`

const VARIANT = /^fastify-codex \[([\w.-]+)\]$/

export function isSessionContestant (name: string): name is SessionContestant {
  return (SESSION_CONTESTANTS as readonly string[]).includes(name) || VARIANT.test(name)
}

/** Every fastify-codex build in the run (ours and scratch variants) counts as ours. */
export function isCodex (name: SessionContestant): boolean {
  return name === CODEX || VARIANT.test(name)
}

/**
 * The run's contestants: BENCH_SESSION_CONTESTANTS (names separated by ';') or all of them,
 * plus the scratch variants named in BENCH_SESSION_VARIANTS.
 */
export function chosenContestants (env = process.env): SessionContestant[] {
  const names = env.BENCH_SESSION_CONTESTANTS
  const listed = names === undefined || names.trim() === '' ? [...SESSION_CONTESTANTS] : names.split(';').map((name) => name.trim())
  for (const name of listed) if (!isSessionContestant(name)) throw new Error(`unknown session contestant: ${name}`)
  return [...listed as SessionContestant[], ...variantContestants(env.BENCH_SESSION_VARIANTS)]
}

/** Scratch variants named in BENCH_SESSION_VARIANTS (comma-separated directory names under scratch/). */
export function variantContestants (list = process.env.BENCH_SESSION_VARIANTS): SessionContestant[] {
  if (list === undefined || list.trim() === '') return []
  return list.split(',').map((name) => `fastify-codex [${name.trim()}]` as const)
}

const SECRET = 'a-bench-secret-that-is-at-least-32-characters-long'
// Plain http on loopback: the secure flag would stop the browser side (autocannon) from getting a cookie at all.
// BENCH_SESSION_MAX_AGE (ms): a rolling cookie of that lifetime for every contestant (bench/session/refresh-storm.ts).
const COOKIE = process.env.BENCH_SESSION_MAX_AGE === undefined ? { secure: false } : { secure: false, maxAge: Number(process.env.BENCH_SESSION_MAX_AGE) }

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
 * POST /visit reads, modifies and writes it. Without a session the same state lives in process memory (Fastify alone).
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

type Callback = (err?: Error | null, value?: unknown) => void

/**
 * @fastify/session's MemoryStore, answering on setImmediate like any networked store: a synchronous answer
 * is slower under load (it defeats Node's batching of response writes), so this is the fastest a store can be.
 */
class ImmediateMapStore {
  readonly #map = new Map<string, unknown>()
  get (id: string, callback: Callback): void { setImmediate(callback, null, this.#map.get(id)) }
  set (id: string, session: unknown, callback: Callback): void { this.#map.set(id, session); setImmediate(callback) }
  destroy (id: string, callback: Callback): void { this.#map.delete(id); setImmediate(callback) }
}

/** The three commands the floor sends. */
interface FloorClient {
  get: (key: string) => Promise<unknown>
  set: (key: string, value: string, options: { expiration: { type: 'PX', value: number } }) => Promise<unknown>
  del: (key: string) => Promise<unknown>
}

// The session TTL the stores here default to (14 days), as PX.
const FLOOR_PX = { expiration: { type: 'PX', value: 1_209_600_000 } } as const

/**
 * The ceiling's Map with Redis's round trips: a GET per load and a SET (of a payload-sized text, PX as ours) when the
 * session changed. It knows what changed for free: the bench's write route replaces `user`, its read route keeps it.
 */
class RoundTripFloorStore {
  readonly #map = new Map<string, { session: unknown, user: unknown }>()
  readonly #client: FloorClient
  readonly #payload: string
  constructor (client: FloorClient, payload: string) {
    this.#client = client
    this.#payload = payload
  }

  get (id: string, callback: Callback): void {
    this.#client.get(`floor:${id}`).then(() => { callback(null, this.#map.get(id)?.session) }, callback)
  }

  set (id: string, session: { user?: unknown }, callback: Callback): void {
    const kept = this.#map.get(id)
    this.#map.set(id, { session, user: session.user })
    if (kept !== undefined && kept.user === session.user) {
      // Unchanged: answered in a microtask, as the JSON floor and a promise-based store answer.
      queueMicrotask(callback)
      return
    }
    this.#client.set(`floor:${id}`, this.#payload, FLOOR_PX).then(() => { callback() }, callback)
  }

  destroy (id: string, callback: Callback): void {
    this.#map.delete(id)
    this.#client.del(`floor:${id}`).then(() => { callback() }, callback)
  }
}

const HANDED_OUT = Symbol('handed out by the floor')

/**
 * GET + JSON.parse per load; JSON.stringify + SET per change, nothing else. It knows what changed for free: a `user`
 * it handed out itself is unchanged (the bench's write route replaces it).
 */
class JsonRoundTripFloorStore {
  readonly #client: FloorClient
  constructor (client: FloorClient) {
    this.#client = client
  }

  get (id: string, callback: Callback): void {
    this.#client.get(`floor:${id}`).then((text) => {
      const session = typeof text === 'string' ? JSON.parse(text) as { user?: object } : undefined
      // The object itself under a symbol (JSON skips it): a `{ ...user }` copy carries it, but pointing at another object.
      // (A WeakSet would tax every GC, a defineProperty every load.)
      if (session?.user !== undefined) (session.user as Record<symbol, unknown>)[HANDED_OUT] = session.user
      callback(null, session)
    }, callback)
  }

  set (id: string, session: { user?: object }, callback: Callback): void {
    if (session.user !== undefined && (session.user as Record<symbol, unknown>)[HANDED_OUT] === session.user) {
      // Unchanged: answered in a microtask, as a promise-based store answers (setImmediate cost it ~10 % in-process).
      queueMicrotask(callback)
      return
    }
    this.#client.set(`floor:${id}`, JSON.stringify(session), FLOOR_PX).then(() => { callback() }, callback)
  }

  destroy (id: string, callback: Callback): void {
    this.#client.del(`floor:${id}`).then(() => { callback() }, callback)
  }
}

/** A stored session's size: the cookie and a logged-in user, as the stores here write it. */
function payloadSized (): string {
  const cookie = { expires: null, storeExpires: Date.now(), originalMaxAge: null, sameSite: null, secure: false, path: '/', httpOnly: true, domain: null }
  return JSON.stringify({ cookie, user: sampleUser(1) })
}

interface Connectable { connect: () => Promise<unknown>, close: () => Promise<unknown>, on: (event: 'error', listener: () => void) => unknown }

/** Connects `client` for the app's lifetime (closed in onClose); reconnect errors are the bench's noise, not a crash. */
async function opened<C extends Connectable> (app: FastifyInstance, client: C): Promise<C> {
  client.on('error', () => {})
  await client.connect()
  app.addHook('onClose', async () => { await client.close() })
  return client
}

/** @redis/client 6 at its cheapest: no per-command timeout. */
async function floorClient (app: FastifyInstance, redisUrl: string): Promise<FloorClient> {
  return await opened(app, createClient6({ url: redisUrl, commandOptions: { timeout: 0 } }))
}

async function connectRedis (app: FastifyInstance, client: Connectable): Promise<SessionStore> {
  await opened(app, client)
  // connect-redis is typed for the `redis` v5 client; @redis/client 6 answers the same commands.
  return new RedisStore({ client: client as unknown as ConstructorParameters<typeof RedisStore>[0]['client'] }) as unknown as SessionStore
}

async function storeFor (app: FastifyInstance, contestant: SessionContestant, redisUrl: string): Promise<SessionStore | undefined> {
  switch (contestant) {
    case MEMORY: return undefined
    case CEILING: return new ImmediateMapStore() as unknown as SessionStore
    case REDIS_FLOOR: return new RoundTripFloorStore(await floorClient(app, redisUrl), payloadSized()) as unknown as SessionStore
    case JSON_FLOOR: return new JsonRoundTripFloorStore(await floorClient(app, redisUrl)) as unknown as SessionStore
    case FASTEST_PEER: return await connectRedis(app, createClient({ url: redisUrl }))
    case CR6_NO_TIMEOUT: return await connectRedis(app, createClient6({ url: redisUrl, commandOptions: { timeout: 0 } }))
    case CR6_DEFAULTS: return await connectRedis(app, createClient6({ url: redisUrl }))
    case CODEX_STORE:
    case CODEX_STORE_SIGNER: {
      // Without an offline queue the store's commands need no abort signal (README, "Writes during a failover").
      const client = await opened(app, createClient6({ url: redisUrl, disableOfflineQueue: true }))
      const { RedisSessionStore } = await import('../../lib/session/store.js')
      return new RedisSessionStore({ client }) as unknown as SessionStore
    }
  }
  throw new Error(`no store for ${contestant}`)
}

async function codexPlugin (contestant: SessionContestant): Promise<typeof import('../../plugins/session.js')['codexSession']> {
  const variant = VARIANT.exec(contestant)?.[1]
  if (variant === undefined) return (await import('../../plugins/session.js')).codexSession
  const file = new URL(`../../scratch/${variant}/plugins/session.ts`, import.meta.url)
  return (await import(file.href) as typeof import('../../plugins/session.js')).codexSession
}

/** Each contestant with the library's defaults (only `secure: false`, since this is plain http). */
export async function buildApp (contestant: SessionContestant, redisUrl: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  if (isCodex(contestant)) {
    // BENCH_COMMAND_TIMEOUT: valgrind runs Node ~50× slower, past the default deadline (its per-command cost is the same).
    const commandTimeout = process.env.BENCH_COMMAND_TIMEOUT === undefined ? {} : { commandTimeout: Number(process.env.BENCH_COMMAND_TIMEOUT) }
    await app.register(await codexPlugin(contestant), { url: redisUrl, secret: SECRET, cookie: COOKIE, projectName: 'bench', ...commandTimeout })
  } else if (contestant !== NO_SESSION) {
    const store = await storeFor(app, contestant, redisUrl)
    await app.register(fastifyCookie)
    const secret = contestant === CODEX_STORE_SIGNER ? (await import('../../lib/session/signer.js')).sessionSigner(SECRET) : SECRET
    await app.register(fastifySession, { secret, cookie: COOKIE, ...(store === undefined ? {} : { store }) })
  }
  routes(app, contestant !== NO_SESSION)
  return app
}
