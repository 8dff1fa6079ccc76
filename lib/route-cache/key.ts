import { createHash } from 'node:crypto'

/** What makes one route's responses differ: each part joins the entry's key. */
export interface KeyParts {
  /** The route's URL pattern, e.g. `/products/:id`. */
  readonly pattern: string
  readonly params: Readonly<Record<string, unknown>>
  /** The raw query string (after `?`), or `''`. */
  readonly search: string
  /** Query parameter names that count; `undefined` = every one. */
  readonly query: ReadonlySet<string> | undefined
  /** Lower-case request header names whose values count, sorted. */
  readonly vary: readonly string[]
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly varyBy: string | undefined
}

/** The selected query parameters, sorted by name (stable: repeated names keep their order, which may matter). */
export function selectQuery (search: string, query: ReadonlySet<string> | undefined): Array<[string, string]> {
  if (search === '') return []
  const pairs: Array<[string, string]> = []
  for (const [name, value] of new URLSearchParams(search)) {
    if (query === undefined || query.has(name)) pairs.push([name, value])
  }
  return pairs.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
}

/** A header's value as it counts for the key: repeated lines joined, spaces around commas dropped. */
function headerValue (value: string | string[] | undefined): string | null {
  if (value === undefined) return null
  const text = Array.isArray(value) ? value.join(',') : value
  return text.trim().replace(/\s*,\s*/g, ',')
}

/**
 * The entry's key: the readable pattern plus a digest of the rest (header values and ids stay out of Redis key
 * names, and the key's length is bounded however long the URL).
 */
export function routeKey (parts: KeyParts): string {
  const params = Object.keys(parts.params).sort().map((name) => [name, String(parts.params[name])])
  const headers = parts.vary.map((name) => [name, headerValue(parts.headers[name])])
  const material = JSON.stringify([parts.pattern, params, selectQuery(parts.search, parts.query), headers, parts.varyBy ?? null])
  const known = digests.get(material)
  if (known !== undefined) return known
  const key = `route:${parts.pattern}:${createHash('sha256').update(material).digest('base64url')}`
  if (digests.size >= DIGESTS_KEPT) digests.delete(digests.keys().next().value!)
  digests.set(material, key)
  return key
}

// Hot entries are requested again and again: their keys are kept rather than hashed on every request.
const DIGESTS_KEPT = 1024
const digests = new Map<string, string>()

/**
 * A route's pattern as the cache knows it: the URL, plus its `constraints` (host, version) in a stable form, since
 * routes with one URL and different constraints answer differently and must never share entries.
 */
export function routePattern (url: string, constraints: Readonly<Record<string, unknown>> | undefined): string {
  if (constraints === undefined || Object.keys(constraints).length === 0) return url
  return `${url} ${stableText(constraints)}`
}

/** JSON with sorted object keys, RegExps as their source (a host constraint may be one). */
function stableText (value: unknown): string {
  if (value instanceof RegExp) return JSON.stringify(String(value))
  if (Array.isArray(value)) return `[${value.map(stableText).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>
    return `{${Object.keys(record).sort().map((name) => `${JSON.stringify(name)}:${stableText(record[name])}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** Where a route's learned response `Vary` header names are kept (Django's two-step key). */
export function varyMetaKey (pattern: string): string {
  return `route-vary:${pattern}`
}

/** The tag every stored GET response of a URL path carries: a write to that path invalidates them all. */
export function pathTag (path: string): string {
  return `route-path:${path}`
}

/** The path of a raw request URL (no query string). */
export function pathOf (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/** How the router matches paths (Fastify's router options): the path tag follows the same rules. */
export interface PathRules {
  readonly ignoreTrailingSlash: boolean
  readonly ignoreDuplicateSlashes: boolean
  readonly caseSensitive: boolean
  readonly useSemicolonDelimiter: boolean
}

export const STRICT_PATHS: PathRules = { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, caseSensitive: true, useSemicolonDelimiter: false }

/**
 * A request URL's path as the router sees it, one spelling per route match: segments percent-decoded (an encoded
 * `/` stays encoded), then the router's slash and case rules. A GET and a write spelled differently share its tag.
 */
export function canonicalPath (url: string, rules: PathRules): string {
  let path = pathOf(url)
  if (rules.useSemicolonDelimiter) {
    const semicolon = path.indexOf(';')
    if (semicolon !== -1) path = path.slice(0, semicolon)
  }
  path = path.split('/').map(decodeSegment).join('/')
  if (rules.ignoreDuplicateSlashes) path = path.replace(/\/{2,}/g, '/')
  if (rules.ignoreTrailingSlash && path.length > 1 && path.endsWith('/')) path = path.slice(0, -1)
  return rules.caseSensitive ? path : path.toLowerCase()
}

function decodeSegment (segment: string): string {
  if (!segment.includes('%')) return segment
  try {
    return decodeURIComponent(segment).replaceAll('%', '%25').replaceAll('/', '%2F')
  } catch {
    return segment
  }
}

/** The query string of a raw request URL (after `?`), or `''`. */
export function searchOf (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? '' : url.slice(q + 1)
}
