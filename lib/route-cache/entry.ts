import { createHash } from 'node:crypto'

/** A stored response, as JSON: status, replayable headers, body, and when it was stored. */
export interface StoredResponse {
  /** status */
  readonly s: number
  /** replayable headers, lower-case names */
  readonly h: Record<string, string>
  /** body: text, or base64 when `e` is set (an encoded or binary body) */
  readonly b: string
  readonly e?: 'base64'
  /** stored at, epoch ms */
  readonly t: number
  /** fresh for this many seconds (`null`: no expiry) */
  readonly x: number | null
}

/** The only headers a stored response replays; set-cookie, date and per-connection headers never are. */
export const REPLAYED_HEADERS: readonly string[] = [
  'content-type', 'content-encoding', 'content-language', 'cache-control', 'expires', 'etag', 'last-modified', 'vary', 'location'
]

export type Headers = Readonly<Record<string, number | string | string[] | undefined>>

/** Lower-case names of a `Vary` header (`*` kept as is). */
export function varyNames (vary: Headers[string]): string[] {
  if (vary === undefined) return []
  const text = Array.isArray(vary) ? vary.join(',') : String(vary)
  const names = text.split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '')
  return [...new Set(names)].sort()
}

/** Why a response may not be stored, or `undefined` when it may. */
export function unstorableReason (status: number, headers: Headers, body: unknown, statuses: ReadonlySet<number>, maxBytes: number): string | undefined {
  if (!statuses.has(status)) return 'status'
  if (headers['set-cookie'] !== undefined) return 'set-cookie'
  const cacheControl = headers['cache-control']
  if (cacheControl !== undefined && /(?:^|,)\s*(?:private|no-store|no-cache)\b/i.test(String(cacheControl))) return 'cache-control'
  const vary = varyNames(headers.vary)
  if (vary.includes('*')) return 'vary'
  // An encoded body whose key ignores accept-encoding would reach clients that cannot decode it.
  if (isEncoded(headers['content-encoding']) && !vary.includes('accept-encoding')) return 'vary'
  if (body !== undefined && body !== null && typeof body !== 'string' && !Buffer.isBuffer(body)) return 'stream'
  if (bodyBytes(body) > maxBytes) return 'size'
  return undefined
}

function isEncoded (encoding: Headers[string]): boolean {
  if (encoding === undefined) return false
  const text = (Array.isArray(encoding) ? encoding.join(',') : String(encoding)).trim().toLowerCase()
  return text !== '' && text !== 'identity'
}

function bodyBytes (body: unknown): number {
  if (typeof body === 'string') return Buffer.byteLength(body)
  return Buffer.isBuffer(body) ? body.length : 0
}

/** A weak ETag from the body's digest, for a response that has none of its own. */
function weakEtag (body: string | Buffer): string {
  return `W/"${createHash('sha1').update(body).digest('base64url')}"`
}

/** The entry to store for a storable response (its ETag, or a weak one, included). */
export function toEntry (status: number, headers: Headers, body: string | Buffer | null | undefined, ttl: number | null, now: number): StoredResponse {
  const h: Record<string, string> = {}
  for (const name of REPLAYED_HEADERS) {
    const value = headers[name]
    if (value !== undefined) h[name] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  const content = body ?? ''
  h.etag ??= weakEtag(content)
  // Text stays text (readable in Redis, no 4/3 growth); a Buffer may be binary or encoded.
  return typeof content === 'string'
    ? { s: status, h, b: content, t: now, x: ttl }
    : { s: status, h, b: content.toString('base64'), e: 'base64', t: now, x: ttl }
}

/** Whether a value read from the cache has the shape of a stored response (anything else is ignored). */
export function isStoredResponse (value: unknown): value is StoredResponse {
  const v = value as StoredResponse | null
  return typeof v === 'object' && v !== null && typeof v.s === 'number' && typeof v.b === 'string' &&
    typeof v.h === 'object' && v.h !== null && typeof v.t === 'number' && (v.x === null || typeof v.x === 'number')
}

export function bodyOf (entry: StoredResponse): string | Buffer {
  return entry.e === 'base64' ? Buffer.from(entry.b, 'base64') : entry.b
}

/** Whether `if-none-match` matches the entry's ETag (weak comparison, as RFC 9110 requires for it). */
export function etagMatches (ifNoneMatch: string | undefined, etag: string | undefined): boolean {
  if (ifNoneMatch === undefined || etag === undefined) return false
  const opaque = (tag: string): string => tag.trim().replace(/^W\//, '')
  const wanted = opaque(etag)
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === wanted)
}

/** Whole seconds since the entry was stored. */
export function ageOf (entry: StoredResponse, now: number): number {
  return Math.max(0, Math.floor((now - entry.t) / 1000))
}

/** Seconds of freshness left (negative once stale), `undefined` without expiry. */
export function freshnessLeft (entry: StoredResponse, now: number): number | undefined {
  return entry.x === null ? undefined : Math.floor(entry.x - (now - entry.t) / 1000)
}
