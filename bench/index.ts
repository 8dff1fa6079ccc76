/**
 * `npm run bench`: the serializer, cache, near-cache, session, locks, read-through (hot key), route and observe suites side by side, printed as Markdown and
 * written to bench/results/latest.md (a full run) or bench/results/partial.md.tmp (BENCH_QUICK / BENCH_ONLY).
 * BENCH_SOAK=1 adds the memory soak (also `npm run bench:soak` on its own).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { cacheDetailTable, cacheErrors, cacheSummaryTable } from './cache/report.js'
import { runCacheBench, type CacheBenchResult } from './cache/suite.js'
import { loadConfig, wants } from './lib/config.js'
import { machineSection } from './lib/document.js'
import { machineInfo } from './lib/machine.js'
import { fmtInt } from './lib/markdown.js'
import { startBenchRedis } from './lib/redis.js'
import { targets, targetsTable } from './lib/targets.js'
import { runSerializerBench, type SerializerBenchResult } from './serializer.js'
import { nearSection } from './near/report.js'
import { runNearBench, type NearBenchResult } from './near/suite.js'
import { lockCostTable, lockTable, scriptCostTable } from './locks/report.js'
import { runLockBench, type LockBenchResult } from './locks/suite.js'
import { hotKeyTable } from './read-through/report.js'
import { runHotKeyBench, type HotKeyBenchResult } from './read-through/suite.js'
import { routeSection } from './route/report.js'
import { runRouteBench, type RouteBenchResult } from './route/suite.js'
import { sessionTable } from './session/report.js'
import { runSessionBench, type SessionBenchResult } from './session/suite.js'
import { soakTable, soakVerdicts } from './soak/report.js'
import { observeSection, runObserveBench, type ObserveBenchResult } from './observe/suite.js'
import { soakCache, soakSessions, type SoakSeries } from './soak/suite.js'

const config = loadConfig()
const machine = machineInfo()
const started = Date.now()
const progress = (line: string): void => { process.stderr.write(`  ${line}\n`) }

let serializer: SerializerBenchResult | undefined
let cache: CacheBenchResult | undefined
let session: SessionBenchResult | undefined
let locks: LockBenchResult | undefined
let hotKey: HotKeyBenchResult | undefined
let soak: SoakSeries[] | undefined
let near: NearBenchResult | undefined
let route: RouteBenchResult | undefined
let observe: ObserveBenchResult | undefined

const redis = await startBenchRedis()
try {
  if (wants(config, 'serializer')) {
    progress('serializer…')
    serializer = await runSerializerBench(config.serializer)
  }
  if (wants(config, 'cache')) {
    progress('cache…')
    cache = await runCacheBench({
      url: redis.url,
      ...config.cache,
      onScenario: ({ operation, result }) => progress(`cache ${operation} c=${result.concurrency} done`)
    })
  }
  if (wants(config, 'near')) {
    progress('near cache…')
    near = await runNearBench({ url: redis.url, ...config.near, onProgress: progress })
  }
  if (wants(config, 'session')) {
    progress('sessions…')
    session = await runSessionBench({ redisUrl: redis.url, ...config.session, onRun: progress })
  }
  if (wants(config, 'locks')) {
    progress('locks…')
    locks = await runLockBench({ url: redis.url, ...config.locks })
  }
  if (wants(config, 'read-through')) {
    progress('read-through (hot key)…')
    hotKey = await runHotKeyBench({ url: redis.url, ...config.hotKey, onRun: progress })
  }
  if (wants(config, 'route')) {
    progress('route response cache…')
    route = await runRouteBench({ url: redis.url, ...config.route, onRun: progress })
  }
  // Last: recorded spans leave AsyncLocalStorage's promise hooks on for the rest of the process.
  if (wants(config, 'observe')) {
    progress('observability (channels, instrument())…')
    observe = await runObserveBench({ url: redis.url, ...config.observe })
  }
  if (config.soak) {
    progress('soak…')
    const options = { redisUrl: redis.url, ...config.soakSize, onProgress: progress }
    soak = [await soakCache(options), await soakSessions(options)]
  }
} finally {
  await redis.stop()
}

const seconds = (Date.now() - started) / 1000
const out: string[] = ['# fastify-codex benchmarks', '', machineSection(machine, config, seconds), '']

const targetList = targets({ serializer, cache, session, near, locks, hotKey, route })
if (targetList.length > 0) {
  out.push('## Targets (ratios from this run)', '', targetsTable(targetList), '')
}
if (serializer !== undefined) {
  out.push('## Strict serializer', '',
    `JsonSerializer parse(stringify(x)) vs bare JSON on a ${serializer.payloadBytes}-byte object: ` +
    `${fmtInt(serializer.strictOpsPerSec)} vs ${fmtInt(serializer.bareOpsPerSec)} round trips/s; ` +
    `median of ${serializer.rounds} per-round time ratios **${serializer.ratio.toFixed(3)}×** (target ≤ 1.15×).`, '')
}
if (cache !== undefined) {
  const { rounds, sliceMs, batchSliceMs } = config.cache
  out.push('## Cache (in-process)', '',
    `${cache.payloadBytes}-byte JSON object; contestants alternate in ${rounds} rounds of ${sliceMs} ms slices (${batchSliceMs} ms for getMany/setMany), rotating who goes first. ` +
    'Cells: median over rounds of the per-round throughput ratio to raw @redis/client with its per-command timeout off (the ceiling of one auto-pipelined connection).', '',
    cacheSummaryTable(cache), '', '### Throughput and latency', '', cacheDetailTable(cache), '')
  const errors = cacheErrors(cache)
  if (errors.length > 0) out.push('**Errors** (figures of these contestants are not valid):', '', ...errors.map((e) => `- ${e}`), '')
}
if (session !== undefined) {
  out.push('## Sessions over HTTP', '',
    `Fastify in a child process per contestant, autocannon from the parent: ${session.connections} connections, ` +
    `${session.sessions} sessions${session.pinned ? ' (pinned: connection i only sends session i)' : ''}, ${session.rounds} round(s) of ${session.durationSec} s per contestant and route, alternating. ` +
    'Libraries with their defaults (cookie `secure: false`, plain http). Ratios are medians of per-round ratios. ' +
    'Fastest peer: @fastify/session + connect-redis on the `redis` v5 client; ceiling: @fastify/session with a Map store answering on setImmediate; ' +
    'Redis floor: the ceiling\'s Map plus the round trips no Redis store can skip (a GET per load, a payload-sized SET per change, on @redis/client 6 without timeout), no JSON, no checks; "with JSON": the same plus JSON.parse per load and JSON.stringify per change (plain objects, so @fastify/session signs the id again, as for every serializing store). ' +
    '"cr on 6 defaults": connect-redis on @redis/client 6 with its default per-command timeout (today\'s default install). ' +
    'Redis CPU: redis-server used_cpu_sys + used_cpu_user (INFO cpu) over the round ÷ requests, idle housekeeping included.', '',
    sessionTable(session), '')
  for (const s of session.skipped) out.push(`**Skipped ${s.contestant}:** ${s.reason}`, '')
}
if (near !== undefined) {
  out.push(nearSection(near), '')
}
// Its own file too (full settings only), so the near-cache figures can be quoted without a full run.
if (near !== undefined && !config.quick) {
  const nearFile = fileURLToPath(new URL('./results/near-cache.md', import.meta.url))
  await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true })
  await writeFile(nearFile, ['# Near cache benchmark', '', machineSection(machine, config, (Date.now() - started) / 1000), '', nearSection(near, '#').replace(/^# Near cache\n\n/, '')].join('\n'))
}
const lockSections: string[] = []
if (locks !== undefined) {
  const { rounds, sliceMs } = config.locks
  lockSections.push('## Locks: acquire + release', '',
    `Each cycle takes a lock (ttl 10 s) and releases it; every cycle in flight uses its own lock name. Each contestant runs in its own process (in one, their clients share V8's inline caches and heap and slow each other unevenly); they alternate in ${rounds} rounds of ${sliceMs} ms slices; ` +
    'ratios are medians of per-round ratios. The raw pair gives no fencing token; fastify-codex computes one in the acquiring script. ' +
    'Two reference rows: our two Lua scripts sent by a bare client (the floor of a lock with a fencing token) and fastify-codex with its per-command deadline bypassed (what that safety feature costs).', '',
    lockTable(locks), '')
  if (locks.costs.length > 0) {
    lockSections.push('### Where a cycle goes (CPU per cycle, each contestant alone, median of 3)', '',
      'Client: the contestant\'s process, process.cpuUsage(). Redis: used_cpu_user + used_cpu_sys. At high concurrency client and server take turns on one connection, so wall time per cycle ≈ their sum: every µs a script costs in Redis is a µs of throughput.', '',
      lockCostTable(locks), '')
  }
  if (locks.scriptCosts.length > 0) {
    lockSections.push('### Redis time per cycle, by command pair', '',
      '1000 cycles pipelined per variant and round, lock names reused (tokens remembered, as in use); INFO commandstats: the commands run (including those scripts call) and the usec of the top-level commands (execution only: no I/O), best of 12 rounds. ' +
      'Running any script costs Redis more than the bare command it wraps; a fencing token is computed atomically with the acquisition only in a script.', '',
      scriptCostTable(locks), '')
  }
}
const lockPart = lockSections.slice()
if (hotKey !== undefined) {
  const o = hotKey.options
  lockSections.push('## Read-through: a hot key expiring under load', '',
    `${o.processes} processes × ${o.concurrency} concurrent callers on one key, factory ${o.factoryMs} ms, key ttl ${o.ttlSeconds} s, ${o.durationMs / 1000} s per contestant in ${o.rounds} round(s), one contestant at a time (taking turns, order rotating), each round a cold start with fresh processes. ` +
    'Latencies pooled over the rounds. "Waited for a computation": calls answered by a value computed after they began (they waited for an expiry\'s factory); "hits p99" is the p99 of the others. ' +
    'CPU per call: user + system time of the 4 processes ÷ calls (Redis\'s own CPU not included). ' +
    'Waiting for a CPU: time a process\'s main thread was runnable but not running (Linux schedstat), per second, the time slices it got, and the mean wait before each. An expiry is a group of factory runs starting within half a ttl of each other (the first, cold, computation counts as one).', '',
    hotKeyTable(hotKey), '')
}
out.push(...lockSections)
if (route !== undefined) out.push(routeSection(route), '')
if (observe !== undefined) out.push(observeSection(observe), '')
if (soak !== undefined) {
  out.push('## Memory soak', '', soakVerdicts(soak), '', soakTable(soak), '')
} else {
  out.push('Memory soak: not part of this run (`BENCH_SOAK=1 npm run bench` or `npm run bench:soak`, results in bench/results/soak.md).', '')
}

const markdown = out.join('\n')
console.log(markdown)
const partial = config.quick || config.only !== undefined
const file = fileURLToPath(new URL(partial ? './results/partial.md.tmp' : './results/latest.md', import.meta.url))
await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true })
await writeFile(file, markdown)
progress(`written to ${file}`)
// Own files too (full settings only), so these figures can be quoted without a full run.
if (locks !== undefined && !config.quick) {
  const lockFile = fileURLToPath(new URL('./results/locks.md', import.meta.url))
  await writeFile(lockFile, ['# Lock benchmark', '', machineSection(machine, config, seconds), '', ...lockPart].join('\n'))
  progress(`written to ${lockFile}`)
}
if (route !== undefined && !config.quick) {
  const routeFile = fileURLToPath(new URL('./results/route.md', import.meta.url))
  const routeTargets = targets({ route })
  await writeFile(routeFile, ['# Route response cache benchmark', '', machineSection(machine, config, seconds), '', '## Targets (ratios from this run)', '', targetsTable(routeTargets), '', routeSection(route)].join('\n'))
  progress(`written to ${routeFile}`)
}
if (hotKey !== undefined && !config.quick) {
  const readThrough = fileURLToPath(new URL('./results/read-through.md', import.meta.url))
  await writeFile(readThrough, ['# Locks and read-through benchmarks', '', machineSection(machine, config, seconds), '', ...lockSections].join('\n'))
  progress(`written to ${readThrough}`)
}
