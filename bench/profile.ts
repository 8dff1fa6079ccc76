/**
 * Profiles one contestant's operation at one concurrency, for `node --cpu-prof`:
 *   node --cpu-prof --cpu-prof-dir=bench/results/profiles --import tsx bench/profile.ts get 64 fastify-codex
 * then summarise with: node --import tsx bench/profile.ts --summarize bench/results/profiles/<file>.cpuprofile
 * Sessions over HTTP (per-request costs against the fastest peer): npx tsx bench/session/profile.ts [read|rmw|both]
 */
import { fileURLToPath } from 'node:url'
import { dirname, resolve } from 'node:path'
import { CACHE_OPERATIONS, runCacheBench, type CacheOperation } from './cache/suite.js'
import { summarizeProfile } from './lib/cpuprofile.js'
import { startBenchRedis } from './lib/redis.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const [first, second, third] = process.argv.slice(2)

if (first === '--summarize') {
  if (second === undefined) throw new Error('usage: bench/profile.ts --summarize <file.cpuprofile>')
  const summary = await summarizeProfile(second, root)
  const pct = (n: number): string => `${n.toFixed(1).padStart(5)}%`
  console.log(`total ${summary.totalMs.toFixed(0)} ms sampled\n\nself time by file:`)
  for (const line of summary.files.slice(0, 15)) console.log(`${pct(line.selfPct)}  ${line.name}`)
  console.log('\nself time by function (top 30):')
  for (const line of summary.functions.slice(0, 30)) console.log(`${pct(line.selfPct)}  ${line.name}  ${line.where}`)
  console.log('\ninclusive time in lib/ (top 20):')
  for (const line of summary.ours.slice(0, 20)) console.log(`${pct(line.selfPct)}  ${line.name}  ${line.where}`)
} else {
  const operation = (first ?? 'get') as CacheOperation
  if (!CACHE_OPERATIONS.includes(operation)) throw new Error(`operation must be one of ${CACHE_OPERATIONS.join(', ')}`)
  const concurrency = Number(second ?? 64)
  const contestant = third ?? 'fastify-codex'
  const redis = await startBenchRedis()
  try {
    const result = await runCacheBench({
      url: redis.url,
      rounds: 1,
      sliceMs: Number(process.env.PROFILE_MS ?? 8000),
      warmupMs: 1000,
      operations: [operation],
      concurrencies: [concurrency],
      only: [contestant]
    })
    const entrant = result.scenarios[0]!.result.entrants.find((e) => e.name === contestant)!
    console.log(`${contestant} ${operation} c=${concurrency}: ${Math.round(entrant.rates[0]!)} ops/s`)
  } finally {
    await redis.stop()
  }
}
