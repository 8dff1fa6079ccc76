import { InvalidOptionsError } from './errors.js'

/**
 * A namespace owns every key `{prefix}:…` (what a cache's `clear()` matches). Session keys, the per-user index,
 * and a cache's own tags and locks all live inside their owner's namespace.
 */
export interface NamespaceClaim {
  /** The key prefix; the namespace is `{prefix}:*`. */
  readonly prefix: string
  /** Who claims it, for the error message: `codexCache (keyPrefix 'myapp')`. */
  readonly owner: string
  /** A cache may share its exact prefix with another cache (one namespace, two views); sessions share nothing. */
  readonly shareable: boolean
}

/** Whether one namespace's keys can be matched by the other's `{prefix}:*`. */
export function namespacesOverlap (a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}:`) || b.startsWith(`${a}:`)
}

function conflicts (a: NamespaceClaim, b: NamespaceClaim): boolean {
  if (!namespacesOverlap(a.prefix, b.prefix)) return false
  return !(a.prefix === b.prefix && a.shareable && b.shareable)
}

/** The namespaces claimed on one Redis database: a cache's `clear()` must never delete sessions or another cache's keys. */
export class NamespaceRegistry {
  readonly #claims = new Set<NamespaceClaim>()

  /** Records `claim`, or throws FST_CODEX_INVALID_OPTIONS naming both owners; returns its release. */
  claim (claim: NamespaceClaim): () => void {
    for (const held of this.#claims) {
      if (conflicts(held, claim)) {
        throw new InvalidOptionsError(
          `${claim.owner} overlaps ${held.owner} on the same Redis: keys '${claim.prefix}:*' and '${held.prefix}:*' ` +
          'collide, so clear() would delete the other\'s keys. Give one of them another prefix')
      }
    }
    this.#claims.add(claim)
    return () => { this.#claims.delete(claim) }
  }
}
