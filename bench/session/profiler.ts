import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector'
import type { FastifyInstance } from 'fastify'

// 100 µs: a request costs ~40–200 µs here, so each is sampled about once and a 10 s window gives ~10^5 samples.
const SAMPLING_INTERVAL_US = 100

function post (session: Session, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    session.post(method, params, (err, result) => { if (err === null) resolve(result); else reject(err) })
  })
}

/**
 * POST /__profile/start and /__profile/stop: a V8 CPU profile of exactly the measured window (not start-up
 * or warm-up), written to `file`. Only registered when the bench asks (BENCH_PROFILE_FILE).
 */
export function profileRoutes (app: FastifyInstance, file: string): void {
  const session = new Session()
  session.connect()
  app.post('/__profile/start', async () => {
    await post(session, 'Profiler.enable')
    await post(session, 'Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US })
    await post(session, 'Profiler.start')
    return { started: true }
  })
  app.post('/__profile/stop', async () => {
    const { profile } = await post(session, 'Profiler.stop') as { profile: object }
    await writeFile(file, JSON.stringify(profile))
    return { file }
  })
}
