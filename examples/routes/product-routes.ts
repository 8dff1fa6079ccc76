import type { FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'

interface Product { id: string, name: string, price: number }

/** The "database": slow to read, which is what the route cache saves. */
const products = new Map<string, Product>([
  ['1', { id: '1', name: 'Tea', price: 4 }],
  ['2', { id: '2', name: 'Coffee', price: 5 }]
])

async function listProducts (): Promise<Product[]> {
  await sleep(50)
  return [...products.values()]
}

const priceBody = {
  type: 'object',
  required: ['price'],
  additionalProperties: false,
  properties: { price: { type: 'number', minimum: 0 } }
} as const

/**
 * A cached product list: anonymous visitors are served from Redis for a minute (one database read per minute
 * across every process); a logged-in visitor's request carries the session cookie and always runs the handler.
 * The admin's update invalidates the list by tag, and the product's own page by its path.
 */
export async function productRoutes (app: FastifyInstance): Promise<void> {
  app.get('/catalog', { config: { cache: { ttl: 60, grace: 300, tags: () => ['catalog'] } } }, async () => ({ products: await listProducts() }))

  app.get<{ Params: { id: string } }>('/catalog/:id', { config: { cache: { ttl: 60, tags: () => ['catalog'] } } }, async (request, reply) => {
    const product = products.get(request.params.id)
    return product === undefined ? await reply.code(404).send({ error: 'no such product' }) : product
  })

  app.put<{ Params: { id: string }, Body: { price: number } }>('/catalog/:id', { schema: { body: priceBody } }, async (request, reply) => {
    if (request.session.userId !== 'admin') return await reply.code(403).send({ error: 'log in as admin' })
    const product = products.get(request.params.id)
    if (product === undefined) return await reply.code(404).send({ error: 'no such product' })
    product.price = request.body.price
    // The list is another path: its tag drops it (this path's GET entries go by themselves, the PUT is a 2xx write).
    await app.cache.invalidateTags(['catalog'])
    return product
  })
}
