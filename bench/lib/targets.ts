import { cacheRatio } from '../cache/report.js'
import { CODEX as CACHE_CODEX, CODEX_GET_OR_SET, KEYV, RAW_DEFAULTS, RAW_NO_TIMEOUT } from '../cache/contestants.js'
import type { CacheBenchResult } from '../cache/suite.js'
import { CEILING, CODEX, CR6_DEFAULTS, FASTEST_PEER, JSON_FLOOR, REDIS_FLOOR } from '../session/apps.js'
import { payloadWrites } from '../session/report.js'
import { redisCpuRatio, sessionRatio, type SessionBenchResult } from '../session/suite.js'
import type { SerializerBenchResult } from '../serializer.js'
import { nearRatios } from '../near/report.js'
import type { NearBenchResult } from '../near/suite.js'
import { CODEX_LOCK, RAW_LOCK, REDLOCK, lockRatio, type LockBenchResult } from '../locks/suite.js'
import { CODEX as HOT_CODEX, CODEX_NEAR as HOT_CODEX_NEAR } from '../read-through/contestants.js'
import type { HotKeyBenchResult } from '../read-through/suite.js'
import { routeRatio, type RouteBenchResult } from '../route/suite.js'
import { fmtRatio, table, verdict } from './markdown.js'

export interface TargetInputs {
  serializer?: SerializerBenchResult
  cache?: CacheBenchResult
  session?: SessionBenchResult
  near?: NearBenchResult
  locks?: LockBenchResult
  hotKey?: HotKeyBenchResult
  route?: RouteBenchResult
}

interface Target {
  what: string
  goal: string
  value: number
  shown: string
  ok: (v: number) => boolean
}

const atLeast = (n: number) => (v: number) => v >= n

/** The issue's targets, each checked against ratios from this same run. */
export function targets (inputs: TargetInputs): Target[] {
  const list: Target[] = []
  const { cache, session, serializer, near, locks, hotKey, route } = inputs
  if (cache !== undefined) {
    for (const op of ['get', 'set']) {
      const vsCeiling = cacheRatio(cache, op, 64, CACHE_CODEX, RAW_NO_TIMEOUT)
      list.push({ what: `cache ${op}, concurrency 64 ÷ raw client, timeout off`, goal: '≥ 0.90×', value: vsCeiling, shown: fmtRatio(vsCeiling), ok: atLeast(0.9) })
      const vsDefaults = cacheRatio(cache, op, 64, CACHE_CODEX, RAW_DEFAULTS)
      list.push({ what: `cache ${op}, concurrency 64 ÷ raw client, defaults`, goal: '> 1× (well above)', value: vsDefaults, shown: fmtRatio(vsDefaults), ok: (v) => v > 1 })
      const vsKeyv = cacheRatio(cache, op, 64, CACHE_CODEX, KEYV)
      list.push({ what: `cache ${op}, concurrency 64 ÷ keyv + @keyv/redis`, goal: '≥ 1.5×', value: vsKeyv, shown: fmtRatio(vsKeyv), ok: atLeast(1.5) })
    }
    const hit = cacheRatio(cache, 'getOrSet', 64, CODEX_GET_OR_SET, CACHE_CODEX)
    if (!Number.isNaN(hit)) {
      list.push({ what: 'cache getOrSet on a hit, concurrency 64 ÷ cache.get', goal: '≥ 0.90×', value: hit, shown: fmtRatio(hit), ok: atLeast(0.9) })
    }
    for (const op of ['getMany', 'setMany']) {
      for (const c of [1, 64]) {
        const v = cacheRatio(cache, op, c, CACHE_CODEX, RAW_NO_TIMEOUT)
        const raw = op === 'getMany' ? 'MGET' : 'pipelined SETs'
        list.push({ what: `cache ${op}(100), concurrency ${c} ÷ raw ${raw}, timeout off`, goal: '≥ 0.95×', value: v, shown: fmtRatio(v), ok: atLeast(0.95) })
      }
    }
  }
  if (near !== undefined) {
    const { hot64, hot1 } = nearRatios(near)
    list.push({ what: 'near-cache hot-key get, concurrency 64 ÷ network get', goal: '≥ 4×', value: hot64, shown: fmtRatio(hot64), ok: atLeast(4) })
    list.push({ what: 'near-cache hot-key get, concurrency 1 ÷ network get', goal: '≥ 4×', value: hot1, shown: fmtRatio(hot1), ok: atLeast(4) })
  }
  if (serializer !== undefined) {
    list.push({
      what: 'strict serializer ÷ bare JSON.stringify + JSON.parse (time)',
      goal: '≤ 1.15×',
      value: serializer.ratio,
      shown: fmtRatio(serializer.ratio),
      ok: (v) => v <= 1.15
    })
  }
  if (session !== undefined && session.runs.some((r) => r.contestant === CODEX)) {
    // Issue 11: beat the fastest peer, approach the setImmediate-Map ceiling, well above today's default install.
    const goals = { read: { peer: 1.05, ceiling: 0.9 }, rmw: { peer: 1.0, ceiling: 0.85 } } as const
    for (const route of ['read', 'rmw'] as const) {
      const label = route === 'read' ? 'sessions read-only' : 'sessions read-modify-write'
      const peer = sessionRatio(session, route, CODEX, FASTEST_PEER)
      list.push({ what: `${label} ÷ fastest peer (connect-redis on redis v5)`, goal: `≥ ${goals[route].peer.toFixed(2)}×`, value: peer, shown: fmtRatio(peer), ok: atLeast(goals[route].peer) })
      const ceiling = sessionRatio(session, route, CODEX, CEILING)
      // What Redis's round trips alone reach: the bound for any Redis store (no JSON, no checks).
      const floors = [[REDIS_FLOOR, 'Redis round trips alone'], [JSON_FLOOR, 'with JSON']] as const
      const bounds = floors.map(([name, what]) => [what, sessionRatio(session, route, name, CEILING)] as const).filter(([, v]) => !Number.isNaN(v))
      const shown = bounds.length === 0 ? fmtRatio(ceiling) : `${fmtRatio(ceiling)} (${bounds.map(([what, v]) => `${what}: ${fmtRatio(v)}`).join('; ')})`
      list.push({ what: `${label} ÷ setImmediate-Map ceiling`, goal: `≥ ${goals[route].ceiling.toFixed(2)}×`, value: ceiling, shown, ok: atLeast(goals[route].ceiling) })
      const defaults = sessionRatio(session, route, CODEX, CR6_DEFAULTS)
      list.push({ what: `${label} ÷ connect-redis on @redis/client 6 defaults`, goal: '≥ 1.30×', value: defaults, shown: fmtRatio(defaults), ok: atLeast(1.3) })
    }
    const redisCpu = redisCpuRatio(session, 'read', CODEX, FASTEST_PEER)
    list.push({ what: 'sessions read-only: Redis CPU per request ÷ fastest peer\'s', goal: '≤ 0.60×', value: redisCpu, shown: fmtRatio(redisCpu), ok: (v) => v <= 0.6 })
    const writes = payloadWrites(session, 'read', CODEX)
    list.push({ what: 'sessions read-only: payload writes (SET) per request', goal: '0', value: writes, shown: writes.toFixed(3), ok: (v) => v < 0.005 })
  }
  if (locks !== undefined) {
    for (const c of locks.scenarios.map((s) => s.concurrency)) {
      const raw = lockRatio(locks, c, CODEX_LOCK, RAW_LOCK)
      list.push({ what: `lock acquire + release, concurrency ${c} ÷ raw SET NX PX + compare-and-delete`, goal: '≥ 0.90×', value: raw, shown: fmtRatio(raw), ok: atLeast(0.9) })
      const redlock = lockRatio(locks, c, CODEX_LOCK, REDLOCK)
      list.push({ what: `lock acquire + release, concurrency ${c} ÷ @sesamecare-oss/redlock (one node)`, goal: '≥ 1.5×', value: redlock, shown: fmtRatio(redlock), ok: atLeast(1.5) })
    }
  }
  for (const name of [HOT_CODEX, HOT_CODEX_NEAR]) {
    const ours = hotKey?.runs.find((r) => r.contestant === name)
    if (hotKey === undefined || ours === undefined) continue
    list.push({ what: `hot key: factory runs per expiry (4 processes), ${name}`, goal: '1', value: ours.runsPerExpiry, shown: ours.runsPerExpiry.toFixed(2), ok: (v) => v === 1 })
    for (const peer of hotKey.runs.filter((r) => r.contestant !== HOT_CODEX && r.contestant !== HOT_CODEX_NEAR)) {
      const v = ours.p99Us / peer.p99Us
      list.push({ what: `hot key: ${name} p99 ÷ ${peer.contestant} p99`, goal: '≤ 1×', value: v, shown: fmtRatio(v), ok: (x) => x <= 1 })
    }
  }
  if (route !== undefined) {
    const goals = [['hitVsCeiling', 'route cache hit ÷ same body from memory (ceiling)', 0.8], ['nearVsCeiling', 'route cache hit with nearCache ÷ ceiling', 0.9], ['hitVsUncached', 'route cache hit ÷ uncached route (1 ms of work)', 5]] as const
    for (const [which, what, goal] of goals) {
      const v = routeRatio(route, which)
      list.push({ what, goal: `≥ ${goal.toFixed(2)}×`, value: v, shown: fmtRatio(v), ok: atLeast(goal) })
    }
    const perExpiry = route.cold.expiries === 0 ? Number.NaN : route.cold.runs / route.cold.expiries
    list.push({ what: 'route cache cold race: handler runs per expiry (4 processes × 64 connections)', goal: '1', value: perExpiry, shown: perExpiry.toFixed(2), ok: (v) => v === 1 })
  }
  return list
}

export function targetsTable (list: readonly Target[]): string {
  return table(['target', 'goal', 'this run', 'result'], list.map((t) => [t.what, t.goal, t.shown, verdict(t.value, t.ok)]), ['l', 'l', 'r', 'l'])
}
