import type { FastifyInstance } from 'fastify'
import type { ConnectionTarget } from '../lib/connection/target.js'
import { NamespaceRegistry, type NamespaceClaim } from '../lib/namespaces.js'

// One registry per app and Redis database: `fastify.server` is the same object in every scope of an app,
// so caches and sessions registered in sibling scopes are still checked against each other.
const registries = new WeakMap<object, Map<ConnectionTarget, NamespaceRegistry>>()

/** Claims `claim.prefix` on `target` for this app until it closes; an overlapping claim throws FST_CODEX_INVALID_OPTIONS. */
export function claimNamespace (fastify: FastifyInstance, target: ConnectionTarget, claim: NamespaceClaim): void {
  if (claim.prefix === '') return
  let byTarget = registries.get(fastify.server)
  if (byTarget === undefined) registries.set(fastify.server, byTarget = new Map())
  let registry = byTarget.get(target)
  if (registry === undefined) byTarget.set(target, registry = new NamespaceRegistry())
  const release = registry.claim(claim)
  fastify.addHook('onClose', (_instance, done) => {
    release()
    done()
  })
}
