import type { FastifyInstance } from 'fastify'
import type { Socket } from 'node:net'

interface Fields { get (key: string): unknown, set (key: string, value: unknown): void }

/**
 * For bench/session/rmw.ts (BENCH_COUNT_VISITS=1): answers counted by outcome after the session's save (onSend runs
 * after @fastify/session's), and POST /tick, which increments a field of its own per open connection (`c0`…`c63`).
 * A connection has one request in flight, so under a field-by-field merge no tick is ever lost; under a last-save-wins
 * store, ticks of concurrent requests of one session are. GET /__ticks sums a session's tick fields.
 */
export function countVisits (app: FastifyInstance): void {
  const answers: Record<string, { ok: number, failed: number }> = { '/visit': { ok: 0, failed: 0 }, '/tick': { ok: 0, failed: 0 } }
  app.addHook('onSend', async (request, reply) => {
    const counted = answers[request.url]
    if (counted === undefined) return
    if (reply.statusCode < 300) counted.ok++
    else counted.failed++
  })
  app.get('/__visits', async () => answers)
  const slots = new WeakMap<Socket, number>()
  const free: number[] = []
  let next = 0
  const slotOf = (socket: Socket): number => {
    let slot = slots.get(socket)
    if (slot === undefined) {
      slot = free.pop() ?? next++
      slots.set(socket, slot)
      const taken = slot
      socket.once('close', () => free.push(taken))
    }
    return slot
  }
  app.post('/tick', async (request) => {
    const session = request.session as unknown as Fields
    if (session.get('user') === undefined) throw Object.assign(new Error('no session'), { statusCode: 401 })
    const name = `c${slotOf(request.socket)}`
    session.set(name, ((session.get(name) as number | undefined) ?? 0) + 1)
    return { ok: true }
  })
  app.get('/__ticks', async (request) => {
    const session = request.session as unknown as Fields
    let total = 0
    for (let i = 0; i < 256; i++) total += (session.get(`c${i}`) as number | undefined) ?? 0
    return { ticks: total }
  })
}
