import type { FastifyInstance } from 'fastify'
import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'

interface Forecast { city: string, forecast: string, computedAt: string }

/** A slow "upstream" the cache saves us from calling twice. */
async function computeForecast (city: string): Promise<Forecast> {
  await sleep(300)
  const skies = ['sunny', 'cloudy', 'rainy', 'windy']
  return { city, forecast: skies[city.length % skies.length]!, computedAt: new Date().toISOString() }
}

interface Order { id: string, item: string }
/** What an Idempotency-Key holds: the request body's hash (a key is bound to one body, as Stripe does) and the result. */
interface OrderRecord { status: 'pending' | 'done', bodyHash: string, order?: Order }

const orderBody = {
  type: 'object',
  required: ['item'],
  additionalProperties: false,
  properties: { item: { type: 'string', minLength: 1, maxLength: 100 } }
} as const

export async function cacheRoutes (app: FastifyInstance): Promise<void> {
  // Cached route: the first call computes (300 ms), the next ones within 30 s come from Redis.
  app.get<{ Params: { city: string } }>('/weather/:city', async (request) => {
    const key = `weather:${request.params.city.toLowerCase()}`
    const hit = await app.cache.get<Forecast>(key)
    if (hit !== undefined) return { ...hit, cached: true }
    const forecast = await computeForecast(request.params.city)
    await app.cache.set(key, forecast)
    return { ...forecast, cached: false }
  })

  // Idempotent POST: cache.add is one atomic SET NX, so a retried request never creates a second order.
  // The body is validated (400 if missing or invalid): nothing is invented for a client that sent none.
  app.post<{ Body: { item: string }, Headers: { 'idempotency-key'?: string } }>('/orders', { schema: { body: orderBody } }, async (request, reply) => {
    const idempotencyKey = request.headers['idempotency-key']
    if (idempotencyKey === undefined || idempotencyKey === '') {
      return reply.code(400).send({ error: 'send an Idempotency-Key header' })
    }
    const key = `order:${idempotencyKey}`
    const bodyHash = createHash('sha256').update(JSON.stringify({ item: request.body.item })).digest('base64url')
    const first = await app.cache.add(key, { status: 'pending', bodyHash } satisfies OrderRecord, { ttl: 600 })
    if (!first) {
      const seen = await app.cache.get<OrderRecord>(key)
      if (seen !== undefined && seen.bodyHash !== bodyHash) {
        return reply.code(422).send({ error: 'this Idempotency-Key was already used with a different body' })
      }
      if (seen?.status === 'done') return reply.code(200).send({ ...seen.order, replayed: true })
      return reply.code(409).send({ error: 'the same order is still being processed' })
    }
    const order: Order = { id: `ord_${Date.now().toString(36)}`, item: request.body.item }
    await app.cache.set(key, { status: 'done', bodyHash, order } satisfies OrderRecord, { ttl: 600 })
    return reply.code(201).send({ ...order, replayed: false })
  })

  app.get('/visits', async () => {
    // incr never creates a key, so the first visit adds the counter.
    const visits = await app.cache.add('visits', 1, { ttl: null }) ? 1 : await app.cache.incr('visits')
    return { visits }
  })
}
