import autocannon from 'autocannon'
import { samplePayload } from '../serializer.js'
import { CODEX as CACHE_CODEX, openContestants } from '../cache/contestants.js'
import { CODEX as SESSION_CODEX } from '../session/apps.js'
import { startServer } from '../session/child.js'
import { fullGc } from '../lib/gc.js'

export interface MemoryPoint {
  done: number
  heapUsed: number
  rss: number
}

export interface SoakSeries {
  name: string
  unit: string
  points: MemoryPoint[]
  seconds: number
  failures: number
}

export interface SoakOptions {
  redisUrl: string
  cacheOps: number
  sessionRequests: number
  checkpoints?: number
  onProgress?: (line: string) => void
}

const KEY_COUNT = 10_000
const KEYS = Array.from({ length: KEY_COUNT }, (_, i) => `soak:${i}`)

function memoryNow (done: number): MemoryPoint {
  fullGc()
  const { heapUsed, rss } = process.memoryUsage()
  return { done, heapUsed, rss }
}

/** 60 % get, 30 % set, 5 % getMany of 10, 5 % incr on 10 k keys, 64 at a time, through fastify-codex's RedisCache. */
export async function soakCache (options: SoakOptions): Promise<SoakSeries> {
  const payload = samplePayload()
  const [cache] = await openContestants(options.redisUrl, [CACHE_CODEX])
  if (cache === undefined || cache.incr === undefined) throw new Error('fastify-codex cache contestant missing')
  const incr = cache.incr
  const checkpoints = options.checkpoints ?? 10
  const chunk = Math.ceil(options.cacheOps / checkpoints)
  let failures = 0
  try {
    for (let i = 0; i < KEY_COUNT; i += 500) await cache.setMany(KEYS.slice(i, i + 500).map((key) => [key, payload] as const))
    await Promise.all(Array.from({ length: 100 }, (_, i) => cache.set(`soak:counter:${i}`, 0)))
    const op = (seq: number): Promise<unknown> => {
      const key = KEYS[(seq * 7919) % KEY_COUNT]!
      const kind = seq % 20
      if (kind < 12) return cache.get(key)
      if (kind < 18) return cache.set(key, payload)
      if (kind === 18) return cache.getMany(KEYS.slice(seq % (KEY_COUNT - 10), seq % (KEY_COUNT - 10) + 10))
      return incr(`soak:counter:${seq % 100}`)
    }
    const points = [memoryNow(0)]
    const start = Date.now()
    let seq = 0
    for (let c = 1; c <= checkpoints; c++) {
      const end = Math.min(options.cacheOps, c * chunk)
      await Promise.all(Array.from({ length: 64 }, async () => {
        while (seq < end) {
          try {
            await op(seq++)
          } catch {
            failures++
          }
        }
      }))
      points.push(memoryNow(end))
      options.onProgress?.(`cache soak: ${end.toLocaleString('en-US')} ops`)
    }
    return { name: 'cache (in-process RedisCache)', unit: 'operations', points, seconds: (Date.now() - start) / 1000, failures }
  } finally {
    await cache.close()
  }
}

/** Alternating read-only and read-modify-write requests against the fastify-codex session server (heap of the server). */
export async function soakSessions (options: SoakOptions): Promise<SoakSeries> {
  const server = await startServer(SESSION_CODEX, options.redisUrl)
  const checkpoints = options.checkpoints ?? 10
  const chunk = Math.ceil(options.sessionRequests / checkpoints / 2) * 2
  let failures = 0
  try {
    const cookies: string[] = []
    for (let i = 0; i < 64; i++) {
      const response = await fetch(`${server.url}/login`)
      await response.arrayBuffer()
      cookies.push(response.headers.getSetCookie()[0]!.split(';', 1)[0]!)
    }
    const serverMemory = async (done: number): Promise<MemoryPoint> => {
      const response = await fetch(`${server.url}/__memory`)
      const { heapUsed, rss } = await response.json() as { heapUsed: number, rss: number }
      return { done, heapUsed, rss }
    }
    const points = [await serverMemory(0)]
    const start = Date.now()
    let done = 0
    for (let c = 1; c <= checkpoints; c++) {
      for (const [method, path] of [['GET', '/read'], ['POST', '/visit']] as const) {
        const result = await autocannon({
          url: server.url,
          connections: 64,
          amount: chunk / 2,
          requests: cookies.map((cookie) => ({ method, path, headers: { cookie } }))
        })
        failures += result.non2xx + result.errors + result.timeouts
        done += result.requests.total
      }
      points.push(await serverMemory(done))
      options.onProgress?.(`session soak: ${done.toLocaleString('en-US')} requests`)
    }
    return { name: 'sessions (fastify-codex server, GET /read + POST /visit)', unit: 'requests', points, seconds: (Date.now() - start) / 1000, failures }
  } finally {
    await server.stop()
  }
}

/**
 * Settled: over the second half of the run, heap grew by less than 10 % (or 2 MB) and RSS by less than
 * 20 % (or 16 MB). A leak of even a few bytes per operation would show as steady growth past that.
 */
export function settled (series: SoakSeries): { heapGrowth: number, rssGrowth: number, ok: boolean } {
  const mid = series.points[Math.floor(series.points.length / 2)]!
  const last = series.points.at(-1)!
  const heapGrowth = last.heapUsed - mid.heapUsed
  const rssGrowth = last.rss - mid.rss
  const ok = heapGrowth < Math.max(2 * 2 ** 20, 0.1 * mid.heapUsed) && rssGrowth < Math.max(16 * 2 ** 20, 0.2 * mid.rss)
  return { heapGrowth, rssGrowth, ok }
}
