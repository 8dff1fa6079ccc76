/**
 * The observability suite alone (see suite.ts for the "before" build):
 *   npm run build && node --import tsx --import ./bench/lib/built-code.mjs bench/observe/ab.ts [rounds] [sliceMs]
 */
import { startBenchRedis } from '../lib/redis.js'
import { observeSection, runObserveBench } from './suite.js'

const [roundsArg = '9', sliceArg = '200'] = process.argv.slice(2)
const redis = await startBenchRedis()
try {
  console.log(observeSection(await runObserveBench({ url: redis.url, rounds: Number(roundsArg), sliceMs: Number(sliceArg), warmupMs: 200 })))
} finally {
  await redis.stop()
}
