import type { FastifyInstance } from 'fastify'
import { ROUTES, type SessionRoute } from './suite.js'

const SESSIONS = 64

export interface InjectReport {
  requests: number
  failures: number
  /** Process CPU time (user + system, all threads) per request, µs. */
  cpuUs: number
  /** Wall time per request, µs (throughput of this process alone, without HTTP or a load generator). */
  wallUs: number
}

/**
 * POST /__inject {route, requests, concurrency}: the server drives itself with light-my-request, so a round measures
 * this contestant's CPU per request with no load generator competing for the cores and no sockets, only
 * Fastify, the session plugin and the store. Same sessions (64, logged in once) as the HTTP suite.
 */
export function injectRoutes (app: FastifyInstance): void {
  let cookies: string[] | undefined
  app.post('/__inject', async (request): Promise<InjectReport> => {
    const { route, requests, concurrency } = request.body as { route: SessionRoute, requests: number, concurrency: number }
    if (cookies === undefined) {
      cookies = []
      for (let i = 0; i < SESSIONS; i++) {
        const response = await app.inject({ method: 'GET', url: '/login' })
        const header = response.headers['set-cookie']
        const first = Array.isArray(header) ? header[0] : header
        if (first !== undefined) cookies.push(first.split(';', 1)[0]!)
      }
    }
    const sessions = cookies
    const { method, path } = ROUTES[route]
    let next = 0
    let failures = 0
    const worker = async (): Promise<void> => {
      while (next < requests) {
        const i = next++
        const response = await app.inject({ method, url: path, headers: { cookie: sessions[i % sessions.length]! } })
        if (response.statusCode !== 200) failures++
      }
    }
    const cpuBefore = process.cpuUsage()
    const started = performance.now()
    await Promise.all(Array.from({ length: concurrency }, worker))
    const wall = performance.now() - started
    const cpu = process.cpuUsage(cpuBefore)
    return { requests, failures, cpuUs: (cpu.user + cpu.system) / requests, wallUs: (wall * 1000) / requests }
  })
}
