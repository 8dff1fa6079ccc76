import { isIPv4, isIPv6 } from 'node:net'
import type { ResolvedSessionOptions } from './options.js'
import type { DeviceNote } from './state.js'

/** What the store reads of a request: Fastify's `request.ip` (trustProxy applied) and its headers. */
export interface DeviceRequest {
  readonly ip?: string
  readonly headers: Record<string, string | string[] | undefined>
}

// A user agent is shown in a page, not parsed: a bounded string keeps a hostile header from bloating every payload.
const MAX_USER_AGENT = 256

/** What `devices` asks to record of a request; `undefined` when nothing is recorded. */
export function deviceNote (devices: ResolvedSessionOptions['devices'], request: DeviceRequest): DeviceNote | undefined {
  if (devices === undefined) return undefined
  const header = request.headers['user-agent']
  const agent = Array.isArray(header) ? header[0] : header
  return {
    userAgent: devices.userAgent && agent !== undefined && agent !== '' ? agent.slice(0, MAX_USER_AGENT) : undefined,
    ip: devices.ip === false || request.ip === undefined ? undefined : devices.ip === 'full' ? request.ip : truncateIp(request.ip)
  }
}

/** IPv4 to its /24 (`203.0.113.0`), IPv6 to its /48 (`2001:db8:1::`); an IPv4-mapped IPv6 address as IPv4. */
export function truncateIp (ip: string): string | undefined {
  const mapped = ip.toLowerCase().startsWith('::ffff:') ? ip.slice(7) : ip
  if (isIPv4(mapped)) return `${mapped.split('.').slice(0, 3).join('.')}.0`
  if (!isIPv6(ip)) return undefined
  const groups = expandIPv6(ip).slice(0, 3).map((group) => group.replace(/^0+(?=.)/, ''))
  // Trailing zero groups fold into the '::' (RFC 5952): `fe80::`, not `fe80:0:0::`.
  while (groups.at(-1) === '0') groups.pop()
  return `${groups.join(':')}::`
}

/** The eight 16-bit groups of an IPv6 address (a zone or an embedded IPv4 tail only ever sits past the /48). */
function expandIPv6 (ip: string): string[] {
  const [head = '', tail] = ip.split('%')[0]!.split('::')
  const left = head === '' ? [] : head.split(':')
  if (tail === undefined) return left
  const right = tail === '' ? [] : tail.split(':')
  return [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
}
