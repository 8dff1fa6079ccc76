import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import ts from 'typescript'

// Module augmentations are global to a compilation, so each case is its own program over a virtual file
// (kept out of the project's `tsc --noEmit`, where one case's augmentation would change every other file's types).
const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')

// Reusing the previous program skips re-parsing fastify's and @redis/client's declarations: the cases only differ in one file.
let previous: ts.Program | undefined

function diagnostics (source: string): string[] {
  const file = join(here, '__case__.ts')
  const { options } = ts.convertCompilerOptionsFromJson({
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    types: ['node'],
    noEmit: true,
    // The clashes that matter are between the case file and our sources, which skipLibCheck never hides.
    skipLibCheck: true
  }, root)
  const host = ts.createCompilerHost(options)
  const read = host.readFile.bind(host)
  host.readFile = (name) => name === file ? source : read(name)
  const exists = host.fileExists.bind(host)
  host.fileExists = (name) => name === file || exists(name)
  const getSource = host.getSourceFile.bind(host)
  host.getSourceFile = (name, version, ...rest) => name === file
    ? ts.createSourceFile(name, source, version)
    : getSource(name, version, ...rest)
  const program = ts.createProgram([file], options, host, previous)
  previous = program
  // The case file and the files declaring the augmentations: checking all of lib/ again would only cost time.
  const checked = program.getSourceFiles().filter((f) => f.fileName === file || /plugins\/(cache|redis)\.ts$/.test(f.fileName))
  return checked.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)])
    .map((d) => `${d.file?.fileName.replace(root, '') ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
}

// Type-checking is slow on a loaded machine; it is still one file's worth of work per case.
t.setTimeout(240_000)

const header = `import Fastify from 'fastify'
import { codexRedis, codexCache, RedisCache } from '../../index.js'
const app = Fastify()
`

t.test('by default fastify.cache is a RedisCache and fastify.codexRedis any @redis/client client', async (t) => {
  t.same(diagnostics(`${header}
await app.register(codexRedis, {})
await app.register(codexCache, { keyPrefix: 'c' })
const value: unknown = await app.cache.get('k')
const cache: RedisCache = app.cache
await app.codexRedis.get('k')
const health: { status: 'ok', latencyMs: number } = await app.codexRedisHealth()
const fields: Record<string, string> = await app.codexRedisCommand((client) => client.hGetAll('k'))
// @ts-expect-error a cluster client has no scanIterator: undeclared, the client type does not promise one
app.codexRedis.scanIterator({ MATCH: 'x:*' })
export { value, cache, health, fields }
`), [])
  t.match(diagnostics(`${header}export const n: number = app.cache`), [/RedisCache.*not assignable to type 'number'/], 'the harness does report errors')
})

// @fastify/caching is not installed: this declares what its types/index.d.ts declares on FastifyInstance.
const fastifyCaching = `
interface AbstractCacheCompliantObject {
  get (key: string | { id: string, segment: string }): Promise<{ item: unknown, stored: number, ttl: number }>
  set (key: string | { id: string, segment: string }, value: unknown, timeToLive: number): void
}
declare module 'fastify' {
  interface FastifyInstance {
    cache: AbstractCacheCompliantObject
    cacheSegment: string
  }
}
`

t.test('a single-node app beside @fastify/caching: its client typed, their fastify.cache intact, ours renamed', async (t) => {
  t.same(diagnostics(`${header}${fastifyCaching}
import type { RedisClientType } from '@redis/client'
declare module 'fastify' {
  interface FastifyCodexTypes { client: RedisClientType }
  interface FastifyInstance { redisCache: RedisCache }
}
const pong: unknown = await app.codexRedis.sendCommand(['PING'])
for await (const keys of app.codexRedis.scanIterator({ MATCH: 'x:*' })) console.log(keys.length)
const raw: unknown = await app.codexRedisCommand((client) => client.sendCommand(['INFO', 'server']))
await app.register(codexCache, { keyPrefix: 'c', decorator: 'redisCache' })
const theirs: { item: unknown } = await app.cache.get('k')
app.cache.set('k', 1, 1000)
const ours: unknown = await app.redisCache.get('k')
export { pong, raw, theirs, ours }
`), [])
})

t.test('cache: false leaves fastify.cache undeclared (an app whose only cache is renamed)', async (t) => {
  t.same(diagnostics(`${header}
declare module 'fastify' {
  interface FastifyCodexTypes { cache: false }
  interface FastifyInstance { pages: RedisCache }
}
await app.register(codexCache, { keyPrefix: 'p', decorator: 'pages' })
await app.pages.set('k', 1)
// @ts-expect-error there is no fastify.cache in this app
app.cache.get('k')
`), [])
})
