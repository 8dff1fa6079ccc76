/**
 * One lock contestant alone at one concurrency, with what Redis spent on it: for `node --cpu-prof` and for
 * INFO-based costs (Redis CPU, socket reads, µs per command per cycle).
 *   node --import tsx --import ./bench/lib/built-code.mjs bench/locks/profile.ts <raw|codex|codex-no-deadline|fenced|redlock> [concurrency=64] [ms=5000]
 */
import { adminClient, redisCpuUs, startBenchRedis, type AdminClient } from '../lib/redis.js'
import { CONTESTANTS, type LockContestantId } from './contestants.js'

const [which = 'codex', c = '64', ms = '5000'] = process.argv.slice(2) as [LockContestantId?, string?, string?]
const concurrency = Number(c)

interface Snapshot { cpuUs: number, reads: number, commands: Map<string, { calls: number, usec: number }> }

async function snapshot (admin: AdminClient): Promise<Snapshot> {
  const stats = await admin.info('stats')
  const text = await admin.info('commandstats')
  const commands = new Map<string, { calls: number, usec: number }>()
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) commands.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) })
  return { cpuUs: await redisCpuUs(admin), reads: Number(/^total_reads_processed:(\d+)/m.exec(stats)?.[1]), commands }
}

const redis = await startBenchRedis()
const admin = await adminClient(redis.url)
const contestant = await CONTESTANTS[which](redis.url)
try {
  const free = Array.from({ length: concurrency }, (_, i) => `job-${i}`)
  const runFor = async (duration: number): Promise<number> => {
    let cycles = 0
    const end = performance.now() + duration
    await Promise.all(free.slice().map(async () => {
      while (performance.now() < end) {
        const name = free.pop()!
        await contestant.cycle(name)
        free.push(name)
        cycles++
      }
    }))
    return cycles
  }
  await runFor(500)
  const before = await snapshot(admin)
  const cpu = process.cpuUsage()
  const started = performance.now()
  const cycles = await runFor(Number(ms))
  const seconds = (performance.now() - started) / 1000
  const clientCpu = process.cpuUsage(cpu)
  const after = await snapshot(admin)
  console.log(`${contestant.name} c=${concurrency}: ${Math.round(cycles / seconds)} cycles/s`)
  console.log(`  client CPU ${((clientCpu.user + clientCpu.system) / cycles).toFixed(2)} µs/cycle`)
  console.log(`  Redis CPU ${((after.cpuUs - before.cpuUs) / cycles).toFixed(2)} µs/cycle, socket reads ${((after.reads - before.reads) / cycles).toFixed(3)}/cycle`)
  for (const [name, a] of after.commands) {
    const b = before.commands.get(name) ?? { calls: 0, usec: 0 }
    const calls = a.calls - b.calls
    if (calls === 0 || name === 'info') continue
    console.log(`  ${name}: ${(calls / cycles).toFixed(2)} calls/cycle, ${((a.usec - b.usec) / calls).toFixed(2)} µs/call`)
  }
} finally {
  await contestant.close()
  await admin.close()
  await redis.stop()
}
