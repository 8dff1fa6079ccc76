import type { FastifyInstance } from 'fastify'

/** Hit rate of reads: hits over every read that ended with an answer or a miss (getOrSet misses count as computed or collapsed). */
function hitRate (stats: ReturnType<FastifyInstance['cache']['stats']>): number | null {
  const reads = stats.hits + stats.misses + stats.stale + stats.computed + stats.collapsed
  return reads === 0 ? null : Math.round(stats.hits / reads * 1000) / 1000
}

export async function statsRoutes (app: FastifyInstance): Promise<void> {
  // Counters since start, no setup: what a dashboard would poll (or scrape /metrics with `npm run demo`).
  app.get('/stats', async () => {
    const cache = app.cache.stats()
    return { hitRate: hitRate(cache), cache, sessions: app.sessions.stats() }
  })
}
