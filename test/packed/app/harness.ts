// Runs the main snippets of README.md and docs/*.md, compiled from the packed tarball, against a throwaway Redis
// (REDIS_URL), and checks that they do what the docs say they do. Exits non-zero on the first broken promise.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import assert from 'node:assert/strict'
import Fastify, { type FastifyInstance } from 'fastify'
import { codexCache, codexRedis } from 'fastify-codex'

interface Snippet { file: string, doc: string, heading: string, line: number, source: string }
const snippets: Snippet[] = JSON.parse(readFileSync(new URL('../snippets.json', import.meta.url), 'utf8'))

function find (what: string, test: (s: Snippet) => boolean): Snippet {
  const found = snippets.find(test)
  if (found === undefined) throw new Error(`README.md and docs/*.md have no ${what} snippet any more: update test/packed/app/harness.ts`)
  console.log(`  running ${found.file} (${found.doc} line ${found.line}, "${found.heading}")`)
  return found
}
const modulePath = (s: Snippet): string => new URL(`./snippets/${s.file.replace(/\.ts$/, '.js')}`, import.meta.url).pathname

async function waitFor (url: string): Promise<Response> {
  const deadline = Date.now() + 15_000
  for (;;) {
    try {
      return await fetch(url)
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
}

// Quick start: a whole program; run it as the reader would and curl it twice.
async function quickStart (): Promise<void> {
  const s = find('quick start', s => s.source.includes('app.listen('))
  const port = 40000 + Math.floor(Math.random() * 20000)
  const child = spawn(process.execPath, [modulePath(s)], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] })
  try {
    const path = /app\.get[^(]*\('([^']+)'/.exec(s.source)?.[1]?.replace(/:[a-z]+/gi, 'paris')
    assert.ok(path !== undefined, 'the quick start has a GET route')
    const first = await (await waitFor(`http://127.0.0.1:${port}${path}`)).json() as { cached?: boolean }
    const second = await (await fetch(`http://127.0.0.1:${port}${path}`)).json() as { cached?: boolean }
    assert.equal(first.cached, false, 'quick start: the first call computes')
    assert.equal(second.cached, true, 'quick start: the second call comes from Redis')
  } finally {
    child.kill('SIGTERM')
  }
}

// Cache: the route snippet on an app with the cache, as the README's Usage section sets it up.
async function cacheRoute (): Promise<void> {
  const s = find('cache route', s => s.source.includes("'/users/:id'"))
  const app: FastifyInstance = Fastify()
  await app.register(codexRedis, { url: process.env.REDIS_URL ?? '' })
  await app.register(codexCache, { keyPrefix: 'snippets' })
  let loads = 0
  globalThis.app = app
  globalThis.db = { loadUser: async (id) => { loads++; return { id, name: 'Ada' } } }
  try {
    await import(modulePath(s))
    const a = await app.inject('/users/7')
    const b = await app.inject('/users/7')
    assert.equal(a.statusCode, 200)
    assert.deepEqual(b.json(), a.json(), 'cache: the same user twice')
    assert.equal(loads, 1, 'cache: the second request does not reach the database')
    const post = s.source.match(/app\.post[^(]*\('([^']+)'/)?.[1]
    if (post !== undefined) {
      const charge = { method: 'POST' as const, url: post, headers: { 'idempotency-key': 'k1' }, payload: {} }
      const codes = [(await app.inject(charge)).statusCode, (await app.inject(charge)).statusCode]
      assert.deepEqual(codes, [200, 409], 'cache: the idempotency lock lets one request through')
    }
  } finally {
    await app.close()
  }
}

// Sessions: a whole app; log in, read, log out over real HTTP (cookies and all).
async function sessions (): Promise<void> {
  const s = find('sessions', s => s.source.includes("'/login'") && /^const app\b/m.test(s.source))
  globalThis.checkPassword = async () => 'ada'
  const { app } = await import(modulePath(s)) as { app: FastifyInstance }
  try {
    const base = await app.listen({ host: '127.0.0.1', port: 0 })
    const login = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"ada","password":"pw"}' })
    assert.equal(login.status, 200, 'sessions: login answers')
    const cookie = login.headers.get('set-cookie')?.split(';')[0]
    assert.ok(cookie !== undefined && cookie !== '', 'sessions: login over plain HTTP sets the session cookie')
    const me = await (await fetch(`${base}/me`, { headers: { cookie } })).json() as { userId: unknown }
    assert.equal(me.userId, 'ada', 'sessions: the next request is logged in')
    const logout = await fetch(`${base}/logout`, { method: 'POST', headers: { cookie } })
    assert.equal(logout.status, 200)
    assert.match(logout.headers.get('set-cookie') ?? '', /Expires=Thu, 01 Jan 1970/, 'sessions: logout clears the cookie')
    const after = await (await fetch(`${base}/me`, { headers: { cookie } })).json() as { userId: unknown }
    assert.equal(after.userId, null, 'sessions: the old cookie is logged out')
    // Log out everywhere: two devices; the one asking gets its cookie cleared, never a fresh one for a revoked session.
    const devices: string[] = []
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"ada","password":"pw"}' })
      devices.push(res.headers.get('set-cookie')?.split(';')[0] ?? '')
    }
    const everywhere = await fetch(`${base}/logout-everywhere`, { method: 'POST', headers: { cookie: devices[0] ?? '' } })
    assert.deepEqual(await everywhere.json(), { revoked: 2 }, 'sessions: log out everywhere revokes both devices')
    assert.match(everywhere.headers.get('set-cookie') ?? '', /Expires=Thu, 01 Jan 1970/, 'sessions: log out everywhere clears its own cookie')
    for (const device of devices) {
      const me = await (await fetch(`${base}/me`, { headers: { cookie: device } })).json() as { userId: unknown }
      assert.equal(me.userId, null, 'sessions: every device is logged out')
    }
  } finally {
    await app.close()
  }
}

await quickStart()
await cacheRoute()
await sessions()
console.log('  doc snippets ran as described')
