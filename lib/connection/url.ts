import { InvalidOptionsError } from '../errors.js'

/** Where a single-node client connects: @redis/client takes redis:// and rediss:// URLs, but not socket paths. */
export type ClientAddress =
  | { url: string }
  | { socketPath: string, database?: number, username?: string, password?: string }

// scheme:[//[user[:password]@]]/path[?query]: WHATWG URL refuses credentials without a host, so match by hand.
const UNIX_URL = /^(?:unix|redis\+unix|redis-socket):(?:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]*))?(\/[^?#]*)?(?:\?([^#]*))?(?:#.*)?$/i
const UNIX_SCHEME = /^(?:unix|redis\+unix|redis-socket):/i

/** Accepts `redis://`, `rediss://`, `unix:///path?db=N` and `redis+unix:///path?db=N`. */
export function parseRedisUrl (url: string): ClientAddress {
  if (UNIX_SCHEME.test(url)) return parseUnixUrl(url)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (err) {
    throw new InvalidOptionsError(`url ${JSON.stringify(redactUrl(url))} is not a valid URL (${(err as Error).message})`)
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidOptionsError(`url scheme ${parsed.protocol} is not one of redis:, rediss:, unix:, redis+unix:`)
  }
  // @redis/client reads the path as the database number; check it here so a typo fails as an option error.
  if (parsed.pathname.length > 1) parseDatabase(decode(parsed.pathname.slice(1), 'database'))
  return { url }
}

function parseUnixUrl (url: string): ClientAddress {
  const match = UNIX_URL.exec(url)
  if (match === null) throw new InvalidOptionsError(`url ${JSON.stringify(redactUrl(url))} is not a valid unix socket URL`)
  const [, user, pass, host, path, query] = match
  if (host !== undefined && host !== '') {
    throw new InvalidOptionsError(`a unix socket url takes a path, not a host ("${host}"): write unix:///run/redis.sock`)
  }
  if (path === undefined || path === '/') throw new InvalidOptionsError('a unix socket url needs a path, as in unix:///run/redis.sock')
  const address: ClientAddress = { socketPath: decode(path, 'socket path') }
  const params = new URLSearchParams(query ?? '')
  const db = params.get('db') ?? params.get('database')
  if (db !== null) address.database = parseDatabase(db)
  const username = nonEmpty(user === undefined ? undefined : decode(user, 'username')) ?? nonEmpty(params.get('username'))
  const password = nonEmpty(pass === undefined ? undefined : decode(pass, 'password')) ?? nonEmpty(params.get('password'))
  if (username !== undefined) address.username = username
  if (password !== undefined) address.password = password
  return address
}

function parseDatabase (text: string): number {
  const database = Number(text)
  if (text === '' || !Number.isInteger(database) || database < 0) {
    throw new InvalidOptionsError(`url database ${JSON.stringify(text)} is not a non-negative integer`)
  }
  return database
}

function nonEmpty (value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value
}

/** A URL fit for logs and error messages: no password, whether in the authority or the query. */
export function redactUrl (url: string): string {
  return url
    .replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***')
}

// decodeURIComponent throws a bare URIError on malformed escapes; options errors carry our code.
function decode (text: string, what: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw new InvalidOptionsError(`url ${what} is not valid percent-encoding`)
  }
}
