import type { FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { LockBusyError } from '../../index.js'

interface Product { id: string, name: string, priceCents: number, loadedAt: string }

/** A slow "database": every call is counted, so the demo can show that concurrent requests cost one query. */
const database = {
  queries: 0,
  async loadProduct (id: string): Promise<Product> {
    database.queries++
    await sleep(400)
    return { id, name: `Product ${id}`, priceCents: 100 * id.length + 99, loadedAt: new Date().toISOString() }
  }
}

/** Read-through caching and a job guarded by a lock. */
export async function jobRoutes (app: FastifyInstance): Promise<void> {
  // Read-through: however many requests (in however many app instances) miss at once, the database is asked once.
  app.get<{ Params: { id: string } }>('/products/:id', async (request) => {
    const product = await app.cache.getOrSet(`product:${request.params.id}`, () => database.loadProduct(request.params.id), { ttl: 60 })
    return { product, databaseQueries: database.queries }
  })

  // A nightly-report style job: one run at a time across every instance; a second trigger answers 409.
  app.post('/reports/nightly', async (request, reply) => {
    try {
      const report = await app.cache.withLock('nightly-report', async (signal, lock) => {
        const rows: number[] = []
        for (let batch = 0; batch < 5; batch++) {
          // Lost the lock (Redis unreachable, or it was taken over): stop before writing anything more.
          signal.throwIfAborted()
          await sleep(200)
          rows.push(batch)
        }
        // The fencing token goes with every write, so a store can refuse a holder that lost the lock.
        return { batches: rows.length, fencingToken: lock.token, finishedAt: new Date().toISOString() }
      }, { ttl: 5 })
      return reply.code(201).send(report)
    } catch (err) {
      if (err instanceof LockBusyError) return reply.code(409).send({ error: 'the nightly report is already running' })
      throw err
    }
  })
}
