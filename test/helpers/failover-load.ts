import Fastify, { type FastifyInstance } from 'fastify'
import { codexCache, codexRedis, codexSession, type CodexRedisOptions } from '../../index.js'
import { token, wallNow } from './failover-watch.js'

export const SECRET = 'a-secret-with-at-least-32-characters!'

/** One request or cache call: when it started and was answered (wall ms), and how. */
export interface Op {
  loop: string
  kind: 'read' | 'write'
  start: number
  end: number
  /** 'ok', '503', or what else came back (an error code or HTTP status): never allowed. */
  outcome: string
  /** For writes: the traced value id. For reads: what was read (a value id, or undefined for nothing). */
  value: string | undefined
  /** A failure's message, for diagnosis. */
  detail?: string
}

/**
 * Fastify with codexRedis on `connection`, plus the cache and sessions reusing it; logs collected, not printed.
 * Start-up is not under test: on a loaded machine a sentinel connect can outlast a short commandTimeout, so retry.
 */
export async function failoverApp (connection: CodexRedisOptions): Promise<{ app: FastifyInstance, logs: string[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await buildApp(connection)
    } catch (err) {
      if (attempt >= 10 || (err as { code?: string }).code !== 'FST_CODEX_REDIS_UNAVAILABLE') throw err
    }
  }
}

async function buildApp (connection: CodexRedisOptions): Promise<{ app: FastifyInstance, logs: string[] }> {
  const logs: string[] = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { logs.push(line) } } } })
  await app.register(codexRedis, connection)
  await app.register(codexCache, { keyPrefix: 'fo' })
  await app.register(codexSession, { secret: SECRET, cookie: { secure: false } })
  app.post('/login', async (request) => {
    ;(request.session as unknown as Record<string, unknown>).user = (request.body as { user: string }).user
    return { ok: true }
  })
  app.post('/write', async (request) => {
    ;(request.session as unknown as Record<string, unknown>).v = (request.body as { v: string }).v
    return { ok: true }
  })
  app.get('/read', async (request) => ({ v: (request.session as unknown as Record<string, unknown>).v ?? null }))
  try {
    await app.ready()
  } catch (err) {
    await app.close()
    throw err
  }
  return { app, logs }
}

const TRACED = /fo-([a-z]\d+-\d+)-fo/

function idOf (value: unknown): string | undefined {
  return typeof value === 'string' ? TRACED.exec(value)?.[1] : undefined
}

function outcomeOf (err: unknown): string {
  const code = (err as { code?: string }).code
  return code === 'FST_CODEX_REDIS_UNAVAILABLE' ? '503' : String(code ?? err)
}

/** Write-then-read loops (each owns its key or session) until `stop()`; every operation is recorded. */
export class Load {
  readonly ops: Op[] = []
  /** Each loop's Redis key (the cache key, or the session's), to tell which node served it. */
  readonly keys = new Map<string, string>()

  get loops (): string[] {
    return [...this.keys.keys()]
  }

  #running = true
  readonly #loops: Array<Promise<void>> = []

  constructor (readonly app: FastifyInstance) {}

  /** `count` loops writing and reading one cache key each. */
  cacheLoops (count: number): void {
    for (let i = 0; i < count; i++) {
      const loop = `c${i}`
      this.keys.set(loop, this.app.cache.makeKey(`k${i}`))
      this.#loops.push(this.#run(loop, async (n) => {
        const id = `${loop}-${n}`
        await this.#record(loop, 'write', id, async () => { await this.app.cache.set(`k${i}`, token(id)) })
        await this.#record(loop, 'read', undefined, async () => idOf(await this.app.cache.get(`k${i}`)))
      }))
    }
  }

  /** `count` logged-in users, each writing a value into their session and reading it back. */
  async sessionLoops (count: number): Promise<void> {
    const cookies = await Promise.all(Array.from({ length: count }, async (_, i) => {
      const res = await this.app.inject({ method: 'POST', url: '/login', payload: { user: `u${i}` } })
      const cookie = res.cookies.find((c) => c.name === 'sessionId')
      if (res.statusCode !== 200 || cookie === undefined) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
      return `sessionId=${cookie.value}`
    }))
    cookies.forEach((cookie, i) => {
      const loop = `s${i}`
      const signed = decodeURIComponent(cookie.slice('sessionId='.length))
      this.keys.set(loop, `session:${signed.slice(0, signed.lastIndexOf('.'))}`)
      this.#loops.push(this.#run(loop, async (n) => {
        const id = `${loop}-${n}`
        await this.#record(loop, 'write', id, async () => {
          const res = await this.app.inject({ method: 'POST', url: '/write', headers: { cookie }, payload: { v: token(id) } })
          this.#check(res.statusCode, res.body)
        })
        await this.#record(loop, 'read', undefined, async () => {
          const res = await this.app.inject({ method: 'GET', url: '/read', headers: { cookie } })
          this.#check(res.statusCode, res.body)
          return idOf((JSON.parse(res.body) as { v: unknown }).v)
        })
      }))
    })
  }

  #check (status: number, body: string): void {
    if (status === 200) return
    const code = (JSON.parse(body) as { code?: string }).code
    throw Object.assign(new Error(body), { code: status === 503 ? code : `HTTP ${status} ${code ?? ''}` })
  }

  async #run (loop: string, step: (n: number) => Promise<void>): Promise<void> {
    for (let n = 0; this.#running; n++) {
      await step(n)
      // Yield to timers and I/O: in-process requests would otherwise starve the watchers on a loaded machine.
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  async #record (loop: string, kind: Op['kind'], written: string | undefined, fn: () => Promise<string | undefined | void>): Promise<void> {
    const start = wallNow()
    try {
      const read = await fn()
      this.ops.push({ loop, kind, start, end: wallNow(), outcome: 'ok', value: kind === 'write' ? written : read ?? undefined })
    } catch (err) {
      this.ops.push({ loop, kind, start, end: wallNow(), outcome: outcomeOf(err), value: kind === 'write' ? written : undefined, detail: (err as Error).message.slice(0, 160) })
    }
  }

  async stop (): Promise<void> {
    this.#running = false
    await Promise.all(this.#loops)
  }
}

export interface Verdict {
  /** Reads that returned neither the last acknowledged write nor a later write that answered 503. */
  wrong: string[]
  /** Reads that returned an older value because the acknowledged write was lost with the killed master (async replication). */
  lostAcked: string[]
  /** Outcomes other than ok/503, e.g. a 500. */
  unexpected: Op[]
  failed: number
  /** First and last start of a failed operation (wall ms), or undefined when none failed. */
  firstFailure: number | undefined
  lastFailure: number | undefined
  /** Writes that answered 503 and yet were executed by Redis, with how long after the 503 (ms; negative = before). */
  landedAfter503: Array<{ id: string, lateBy: number }>
}

/**
 * Checks every loop's history. A read may return the last acknowledged write, or a later write that answered 503
 * (it may have landed before the master died). An older value is a lost acknowledged write: allowed only for
 * writes acknowledged within `lossWindowMs` before the kill, which asynchronous replication may not have copied yet.
 */
export function judge (ops: Op[], killedAt: number, firstSeen: Map<string, number>, lossWindowMs = 100): Verdict {
  const verdict: Verdict = { wrong: [], lostAcked: [], unexpected: [], failed: 0, firstFailure: undefined, lastFailure: undefined, landedAfter503: [] }
  const byLoop = new Map<string, Op[]>()
  for (const op of ops) {
    if (!byLoop.has(op.loop)) byLoop.set(op.loop, [])
    byLoop.get(op.loop)!.push(op)
    if (op.outcome === 'ok') continue
    verdict.failed++
    if (op.outcome !== '503') verdict.unexpected.push(op)
    verdict.firstFailure = Math.min(verdict.firstFailure ?? Infinity, op.start)
    verdict.lastFailure = Math.max(verdict.lastFailure ?? -Infinity, op.start)
    if (op.kind === 'write' && op.value !== undefined) {
      const seen = firstSeen.get(op.value)
      if (seen !== undefined) verdict.landedAfter503.push({ id: op.value, lateBy: seen - op.end })
    }
  }
  for (const [loop, history] of byLoop) {
    let acked: Op | undefined
    let maybe: string[] = []
    const ackedBefore: Op[] = []
    for (const op of history) {
      if (op.kind === 'write') {
        if (op.outcome === 'ok') {
          if (acked !== undefined) ackedBefore.push(acked)
          acked = op
          maybe = []
        } else {
          maybe.push(op.value!)
        }
        continue
      }
      if (op.outcome !== 'ok') continue
      if (op.value === acked?.value || (op.value !== undefined && maybe.includes(op.value))) continue
      const older = ackedBefore.findIndex((w) => w.value === op.value)
      const lostOnly = older >= 0 && op.start > killedAt &&
        [...ackedBefore.slice(older + 1), acked!].every((w) => w.end > killedAt - lossWindowMs && w.end < killedAt)
      const what = `${loop}: read ${String(op.value)} at ${(op.start - killedAt).toFixed(0)} ms after the kill; last acknowledged ${String(acked?.value)}, later 503s [${maybe.join(', ')}]`
      if (lostOnly) {
        verdict.lostAcked.push(what)
        // What Redis now holds is the truth the next reads are checked against.
        acked = ackedBefore[older]
      } else {
        verdict.wrong.push(what)
      }
    }
  }
  return verdict
}

/** Polls `check` every 10 ms until it holds or `timeoutMs` passes. */
export async function waitUntil (what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!await check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Failure messages and how often each came, most frequent first: for the test's diagnostics. */
export function failureSummary (ops: Op[], from: number): string {
  const counts = new Map<string, number>()
  for (const op of ops) {
    if (op.outcome === 'ok') continue
    const key = `${op.outcome} ${(op.detail ?? '').replace(/\d+/g, 'N')}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  const first = ops.filter((op) => op.outcome !== 'ok').map((op) => (op.start - from).toFixed(0)).slice(0, 5)
  return [...counts].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${n}x ${key}`).join(' | ') + ` (first at ${first.join(', ')} ms)`
}

/**
 * When every loop was answering again (wall ms): the latest, over loops whose operations failed after `from`, of the
 * end of the first successful operation after the loop's last failure. A held request that succeeds late counts as
 * down until it answers. Undefined when no loop failed after `from`.
 */
export function everyLoopBackAt (ops: Op[], from: number): number | undefined {
  let back: number | undefined
  const byLoop = new Map<string, Op[]>()
  for (const op of ops) {
    if (!byLoop.has(op.loop)) byLoop.set(op.loop, [])
    byLoop.get(op.loop)!.push(op)
  }
  for (const history of byLoop.values()) {
    let lastFailure = -1
    history.forEach((op, i) => { if (op.outcome !== 'ok' && op.start > from) lastFailure = i })
    if (lastFailure < 0) continue
    const next = history.slice(lastFailure + 1).find((op) => op.outcome === 'ok')
    back = Math.max(back ?? -Infinity, next?.end ?? Infinity)
  }
  return back
}
