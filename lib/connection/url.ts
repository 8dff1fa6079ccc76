import { InvalidOptionsError } from '../errors.js'

/** Where a single-node client connects: @redis/client takes redis:// and rediss:// URLs, but not socket paths. */
export type ClientAddress =
  | { url: string }
  | { socketPath: string, database?: number, username?: string, password?: string }

const UNIX_SCHEMES = new Set(['unix:', 'redis+unix:', 'redis-socket:'])

/** Accepts `redis://`, `rediss://`, `unix:///path?db=N` and `redis+unix:///path?db=N`. */
export function parseRedisUrl (url: string): ClientAddress {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (err) {
    throw new InvalidOptionsError(`url ${JSON.stringify(redactUrl(url))} is not a valid URL (${(err as Error).message})`)
  }
  if (parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') return { url }
  if (!UNIX_SCHEMES.has(parsed.protocol)) {
    throw new InvalidOptionsError(`url scheme ${parsed.protocol} is not one of redis:, rediss:, unix:, redis+unix:`)
  }
  const socketPath = decodeURIComponent(parsed.pathname)
  if (socketPath === '' || socketPath === '/') throw new InvalidOptionsError('a unix socket url needs a path, as in unix:///run/redis.sock')
  const address: ClientAddress = { socketPath }
  const db = parsed.searchParams.get('db') ?? parsed.searchParams.get('database')
  if (db !== null) {
    const database = Number(db)
    if (!Number.isInteger(database) || database < 0) throw new InvalidOptionsError(`url database ${JSON.stringify(db)} is not a non-negative integer`)
    address.database = database
  }
  const username = parsed.username !== '' ? decodeURIComponent(parsed.username) : parsed.searchParams.get('username')
  const password = parsed.password !== '' ? decodeURIComponent(parsed.password) : parsed.searchParams.get('password')
  if (username !== null && username !== '') address.username = username
  if (password !== null && password !== '') address.password = password
  return address
}

/** A URL fit for logs and error messages: the password is never repeated. */
export function redactUrl (url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@')
}
