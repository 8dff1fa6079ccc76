import t from 'tap'
import Fastify from 'fastify'
import fastifyCookie from '@fastify/cookie'
import fastifySession, { type SessionStore } from '@fastify/session'
import { CARRIED, SessionState, carryState, stateOf } from '../../lib/session/state.js'

// The one undocumented seam the store stands on (lib/session/state.ts): a loaded session's state reaches store.set.
// If an upgrade of @fastify/session stops copying it, every update becomes a create (409): this fails first.
t.test('@fastify/session carries the state store.get handed back to the Session store.set receives', async (t) => {
  const saved: Array<{ id: string, carried: SessionState | undefined }> = []
  const loaded = new Map<string, SessionState>()
  const handedOut: SessionState[] = []
  const store = {
    get (id: string, callback: (err: Error | null, session?: unknown) => void) {
      const state = loaded.get(id)
      if (state === undefined) { callback(null, null); return }
      const data = { cookie: { expires: null, originalMaxAge: null }, user: 'ada' }
      carryState(data, state)
      handedOut.push(state)
      callback(null, data)
    },
    set (id: string, session: object, callback: (err?: Error | null) => void) {
      saved.push({ id, carried: stateOf(session, id) })
      loaded.set(id, new SessionState(id, 'text', null, null, undefined))
      callback()
    },
    destroy (_id: string, callback: (err?: Error | null) => void) { callback() }
  }
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCookie)
  await app.register(fastifySession, { secret: 'a'.repeat(32), cookie: { secure: false }, store: store as unknown as SessionStore })
  app.get('/', async (request) => {
    request.session.set('n' as never, Math.random() as never)
    return { json: JSON.stringify(request.session) }
  })
  const first = await app.inject('/')
  const cookie = first.cookies.find((c) => c.name === 'sessionId')
  t.ok(cookie, 'a session was created')
  t.equal(saved[0]?.carried, undefined, 'a new session carries nothing')
  const second = await app.inject({ url: '/', cookies: { sessionId: cookie!.value } })
  t.equal(second.statusCode, 200)
  t.ok(saved[1]?.carried instanceof SessionState, 'the loaded state reached store.set on the Session: the seam holds')
  t.equal(saved[1]?.carried, handedOut[0], 'the very object store.get handed back')
  t.notOk(second.json<{ json: string }>().json.includes(CARRIED), 'never in the JSON of the Session')
})

// express-session's Session copies a loaded field only `if (!(prop in this))`: the key must not exist on any prototype.
t.test('express-session’s copy (emulated) carries the state too: nothing of ours on a prototype', async (t) => {
  function ExpressSession (this: Record<string, unknown>, data: Record<string, unknown>): void {
    for (const prop in data) if (!(prop in this)) this[prop] = data[prop]
  }
  const state = new SessionState('id', 'text', null, null, undefined)
  const data = { cookie: {}, user: 'ada' }
  carryState(data, state)
  const session = new (ExpressSession as unknown as new (data: object) => object)(data)
  t.equal(stateOf(session, 'id'), state)
  t.notOk(CARRIED in Object.prototype)
  const token = (session as Record<string, unknown>)[CARRIED] as object
  t.same(Reflect.ownKeys(token), [], 'the carried token has nothing readable on it')
  t.ok(Object.isFrozen(token))
  t.equal(JSON.stringify(session), '{"cookie":{},"user":"ada"}')
})
