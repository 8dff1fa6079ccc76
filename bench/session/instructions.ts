/**
 * Instructions per session request, counted by valgrind (cachegrind, no cache simulation): unlike time, barely moved by
 * other work on a shared machine, so it can tell a 3 % difference that throughput rounds cannot.
 *   npm run build && npx tsx bench/session/instructions.ts [warm-up] [measured] [repeats] [routes: read,rmw]
 * Each run is a fresh process that drives itself in-process; a run with the warm-up alone is subtracted.
 * `--single-threaded` (GC and compilation on the one counted thread, in a repeatable order): runs agree within ~1 %. Counts everything the request costs in
 * Node (Fastify, @fastify/session, the store, the Redis client, GC), nothing of redis-server. Needs valgrind
 * (Debian: apt-get install valgrind). Contestants: BENCH_SESSION_CONTESTANTS (';'-separated) or the default three, plus
 * BENCH_SESSION_VARIANTS (scratch builds, as in ab.ts).
 */
import { execFile } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { fmtInt, fmtRatio, table } from '../lib/markdown.js'
import { median } from '../lib/stats.js'
import { chosenContestants, CODEX, FASTEST_PEER, JSON_FLOOR, variantContestants, type SessionContestant } from './apps.js'
import { ROUTES, type SessionRoute } from './suite.js'

const [warmArg = '3000', measuredArg = '6000', repeatsArg = '3', routesArg = 'read,rmw'] = process.argv.slice(2)
const warm = Number(warmArg)
const measured = Number(measuredArg)
const repeats = Number(repeatsArg)
const routes = routesArg.split(',').map((route) => {
  if (!(route in ROUTES)) throw new Error(`unknown route: ${route} (${Object.keys(ROUTES).join(', ')})`)
  return route as SessionRoute
})
// Unlike the HTTP suite, not all by default: each contestant costs ~5 min of valgrind.
const contestants: SessionContestant[] = process.env.BENCH_SESSION_CONTESTANTS === undefined
  ? [FASTEST_PEER, JSON_FLOOR, CODEX, ...variantContestants()]
  : chosenContestants()
if (!contestants.includes(FASTEST_PEER)) contestants.unshift(FASTEST_PEER)
const root = fileURLToPath(new URL('../..', import.meta.url))

/** Instructions the whole process executed (valgrind's "I refs"). */
async function count (contestant: SessionContestant, route: SessionRoute, requests: number): Promise<number> {
  const args = [
    '--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null',
    process.execPath, '--single-threaded', '--import', 'tsx', '--import', './bench/lib/built-code.mjs',
    'bench/session/instructions-child.ts', contestant, route, String(warm), String(requests)
  ]
  return await new Promise((resolve, reject) => {
    const env = { ...process.env, BENCH_COMMAND_TIMEOUT: '60000' }
    execFile('valgrind', args, { cwd: root, env, maxBuffer: 64 * 1024 * 1024 }, (err, _stdout, stderr) => {
      const refs = /I\s+refs:\s+([\d,]+)/.exec(stderr)?.[1]
      if (err !== null || refs === undefined) {
        const hint = (err as NodeJS.ErrnoException | null)?.code === 'ENOENT' ? ' (valgrind not found: apt-get install valgrind)' : ''
        reject(new Error(`${contestant} ${route} ${requests}: ${err?.message ?? 'no I refs'}${hint}\n${stderr.slice(-2000)}`))
      } else {
        resolve(Number(refs.replaceAll(',', '')))
      }
    })
  })
}

interface Job { contestant: SessionContestant, route: SessionRoute, requests: number }
const jobs: Job[] = []
for (const route of routes) {
  for (const contestant of contestants) {
    jobs.push({ contestant, route, requests: 0 })
    for (let i = 0; i < repeats; i++) jobs.push({ contestant, route, requests: measured })
  }
}
const results = new Map<Job, number>()
let next = 0
const worker = async (): Promise<void> => {
  while (next < jobs.length) {
    const job = jobs[next++]!
    results.set(job, await count(job.contestant, job.route, job.requests))
    process.stderr.write(`  ${results.size}/${jobs.length} ${job.route} ${job.contestant} ${job.requests}\n`)
  }
}
// valgrind runs one thread at a time: one run per core.
await Promise.all(Array.from({ length: Math.max(1, Math.min(availableParallelism(), 4)) }, worker))

const perRequest = (contestant: SessionContestant, route: SessionRoute): number[] => {
  const mine = jobs.filter((job) => job.contestant === contestant && job.route === route)
  const base = results.get(mine.find((job) => job.requests === 0)!)!
  return mine.filter((job) => job.requests > 0).map((job) => (results.get(job)! - base) / job.requests)
}
const rows: string[][] = []
for (const route of routes) {
  const peer = median(perRequest(FASTEST_PEER, route))
  for (const contestant of contestants) {
    const runs = perRequest(contestant, route)
    const mid = median(runs)
    rows.push([ROUTES[route].label, contestant, fmtInt(mid), `${fmtInt(Math.min(...runs))}–${fmtInt(Math.max(...runs))}`, fmtRatio(peer / mid)])
  }
}
console.log(`Instructions per request (valgrind), ${new Date().toISOString()}: ${warm} warm-up + ${measured} measured requests, ${repeats} runs each, 64 in flight, in-process. "÷ fastest peer (instructions)" = its count ÷ this one's: the throughput ratio when CPU-bound.\n`)
console.log(table(['route', 'contestant', 'instructions / req (median)', 'runs (min–max)', '÷ fastest peer (instructions)'], rows, ['l', 'l', 'r', 'r', 'r']))
