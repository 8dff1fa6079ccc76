/**
 * One contestant driving itself in-process (light-my-request, as ab.ts), for bench/session/instructions.ts to run
 * under valgrind: argv = contestant, route, warm-up requests, measured requests. Throws if any request failed.
 * No forced GC between phases: a `gc()` there moved one contestant's count by 8 % run to run (and another's by 3 %).
 */
import { startBenchRedis } from '../lib/redis.js'
import { buildApp, isSessionContestant } from './apps.js'
import { injectRoutes, type InjectReport } from './inject.js'
import { ROUTES, type SessionRoute } from './suite.js'

const [contestant = '', route = '', warmArg = '', measuredArg = ''] = process.argv.slice(2)
if (!isSessionContestant(contestant) || !(route in ROUTES)) throw new Error(`usage: instructions-child.ts <contestant> <${Object.keys(ROUTES).join('|')}> <warm-up> <measured>`)

const redis = await startBenchRedis()
try {
  const app = await buildApp(contestant, redis.url)
  injectRoutes(app)
  await app.ready()
  const drive = async (requests: number): Promise<void> => {
    const response = await app.inject({ method: 'POST', url: '/__inject', payload: { route: route as SessionRoute, requests, concurrency: 64 } })
    const report = response.json<InjectReport>()
    if (response.statusCode !== 200 || report.failures > 0) throw new Error(`${contestant}: ${report.failures} of ${requests} requests failed`)
  }
  await drive(Number(warmArg))
  if (Number(measuredArg) > 0) await drive(Number(measuredArg))
  await app.close()
} finally {
  await redis.stop()
}
