import type { FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'

interface Forecast { city: string, forecast: string, computedAt: string }

/** A slow "upstream" the cache saves us from calling twice. */
async function computeForecast (city: string): Promise<Forecast> {
  await sleep(300)
  const skies = ['sunny', 'cloudy', 'rainy', 'windy']
  return { city, forecast: skies[city.length % skies.length]!, computedAt: new Date().toISOString() }
}

interface OrderRecord { status: 'pending' | 'done', order?: { id: string, item: string } }

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
  app.post<{ Body: { item?: string }, Headers: { 'idempotency-key'?: string } }>('/orders', async (request, reply) => {
    const idempotencyKey = request.headers['idempotency-key']
    if (idempotencyKey === undefined || idempotencyKey === '') {
      return reply.code(400).send({ error: 'send an Idempotency-Key header' })
    }
    const key = `order:${idempotencyKey}`
    const first = await app.cache.add(key, { status: 'pending' } satisfies OrderRecord, { ttl: 600 })
    if (!first) {
      const seen = await app.cache.get<OrderRecord>(key)
      if (seen?.status === 'done') return reply.code(200).send({ ...seen.order, replayed: true })
      return reply.code(409).send({ error: 'the same order is still being processed' })
    }
    const order = { id: `ord_${Date.now().toString(36)}`, item: request.body?.item ?? 'coffee' }
    await app.cache.set(key, { status: 'done', order } satisfies OrderRecord, { ttl: 600 })
    return reply.code(201).send({ ...order, replayed: false })
  })

  app.get('/visits', async () => {
    // incr never creates a key, so the first visit adds the counter.
    const visits = await app.cache.add('visits', 1, { ttl: null }) ? 1 : await app.cache.incr('visits')
    return { visits }
  })
}
