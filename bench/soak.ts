/** `npm run bench:soak`: the memory soak alone (≥ 1 M cache operations, ≥ 100 k session requests) → bench/results/soak.md. */
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { loadConfig } from './lib/config.js'
import { machineSection } from './lib/document.js'
import { machineInfo } from './lib/machine.js'
import { startBenchRedis } from './lib/redis.js'
import { soakTable, soakVerdicts } from './soak/report.js'
import { soakCache, soakSessions } from './soak/suite.js'

const config = loadConfig()
const machine = machineInfo()
const started = Date.now()
const progress = (line: string): void => { process.stderr.write(`  ${line}\n`) }
const redis = await startBenchRedis()
let series
try {
  const options = { redisUrl: redis.url, ...config.soakSize, onProgress: progress }
  series = [await soakCache(options), await soakSessions(options)]
} finally {
  await redis.stop()
}
const markdown = [
  '# fastify-codex memory soak', '',
  machineSection(machine, config, (Date.now() - started) / 1000), '',
  'Heap is measured after a full GC at each checkpoint (the session figures are the server process\'s own).', '',
  soakVerdicts(series), '', soakTable(series), ''
].join('\n')
console.log(markdown)
const file = fileURLToPath(new URL(config.quick ? './results/soak.md.tmp' : './results/soak.md', import.meta.url))
await writeFile(file, markdown)
progress(`written to ${file}`)
