import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RouteCacheHost } from './backend.js'
import { canonicalPath, pathTag } from './key.js'

export const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * A 2xx write to a path drops every stored GET response of that path, before the client hears back (its next
 * GET must not see the old response). A cache failure is logged, never the request's.
 */
export async function invalidatePath (host: RouteCacheHost, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (host.cachedRoutes === 0 || !WRITE_METHODS.has(request.method)) return
  if (reply.statusCode < 200 || reply.statusCode >= 300) return
  const path = canonicalPath(request.url, host.pathRules)
  const startedAt = performance.now()
  try {
    await host.backend.invalidateTags([pathTag(path)])
    host.up(startedAt)
  } catch (err) {
    host.failed(err, path)
  }
}
