import type { ProfileCosts } from '../lib/cpuprofile.js'

export const CATEGORIES = [
  'store: fastify-codex (lib/, plugins/)', 'store: connect-redis', 'Redis client (@redis/client)',
  '@fastify/session + cookie + hash/HMAC', 'Fastify + router', 'JSON (native)', 'node HTTP + streams + timers', 'GC', 'other VM / native'
] as const

/** Coarse owner of a self-time line (a file or package from profileCosts().files, or a VM/builtin name). */
export function categoryOf (key: string): typeof CATEGORIES[number] {
  if (/^(?:dist\/)?(?:lib|plugins)\/|^scratch\/|^dist\/index\./.test(key)) return CATEGORIES[0]
  if (key === 'connect-redis') return CATEGORIES[1]
  if (key === '@redis/client' || key === 'redis' || key === 'cluster-key-slot') return CATEGORIES[2]
  if (['@fastify/session', '@fastify/cookie', 'safe-stable-stringify', 'cookie', 'cookie-signature', 'digest', 'update', 'Hmac', 'Hash', 'createHash', 'createHmac', 'timingSafeEqual'].includes(key)) return CATEGORIES[3]
  if (['fastify', 'find-my-way', 'light-my-request', 'avvio', 'fast-json-stringify', 'fast-querystring', 'fastify-plugin', 'abstract-logging', 'process-warning', 'toad-cache', 'fast-decode-uri-component', 'ret', 'safe-regex2', 'rfdc', 'content-type', '@fastify/error', '@fastify/fast-json-stringify-compiler', '@fastify/ajv-compiler', 'secure-json-parse'].includes(key)) return CATEGORIES[4]
  if (key === 'stringify' || key === 'parse' || key === 'JSON.stringify' || key === 'JSON.parse') return CATEGORIES[5]
  if (key === 'node internals' || key === 'writev' || key === 'writeUtf8String' || key === 'writeLatin1String' || key === 'runMicrotasks') return CATEGORIES[6]
  if (key === '(garbage collector)') return CATEGORIES[7]
  return CATEGORIES[8]
}

/** Share (%) of the busy samples by category. */
export function categoryShares (costs: ProfileCosts): Map<string, number> {
  const shares = new Map<string, number>(CATEGORIES.map((c) => [c, 0]))
  for (const [key, line] of costs.files) {
    const category = categoryOf(key)
    shares.set(category, shares.get(category)! + (100 * line.us) / costs.busyUs)
  }
  return shares
}
