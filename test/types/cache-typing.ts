// Type-level checks, compiled by `tsc --noEmit` (npm test): a wrong type here fails the build.
import Fastify from 'fastify'
import { codexCache, RedisCache, type CodexCacheOptions, type CacheEntries, type JsonValue } from '../../index.js'

const app = Fastify()
await app.register(codexCache, { keyPrefix: 'app', ttl: 60, commandTimeout: 500 })

const cache: RedisCache = app.cache
const user: { id: string } | undefined = await cache.get<{ id: string }>('user')
const many: Map<string, number> = await cache.getMany<number>(['a'])
const added: boolean = await cache.add('lock', 1, { ttl: 10 })
const left: number | null | undefined = await cache.ttl('k')
const next: number = await cache.incr('n', 2, { version: 3 })
const failed: string[] = await cache.setMany(new Map([['a', 1]]), { ttl: null })
const key: string = cache.makeKey('k', 2)
export const checked = [user, many, added, left, next, failed, key]

// @ts-expect-error ttl is seconds or null, not a string
await cache.set('k', 1, { ttl: '10' })
// @ts-expect-error keys are strings
await cache.get(42)
// @ts-expect-error unknown options are refused
const bad: CodexCacheOptions = { keyPrefx: 'typo' }
export const refused = bad

// Read-through: getOrSet<T> is inferred from the factory (sync or async); ctx is typed by it.
const rows: Array<{ id: number }> = await cache.getOrSet('rows', async (ctx) => {
  const previous: Array<{ id: number }> | undefined = ctx.stale
  ctx.setTtl(previous === undefined ? 60 : null)
  if (ctx.signal.aborted) ctx.skip()
  return [{ id: 1 }]
}, { ttl: 30, grace: 300, timeout: 50, hardTimeout: 2000, lockTimeout: 5000, tags: ['rows'] })
const count: number = await cache.getOrSet('count', () => 42)
await cache.set('tagged', 1, { tags: ['a', 'b'] })
await cache.invalidateTags(['a'])
await app.register(codexCache, { failOpen: true, decorator: 'cache2' })
export const readThrough = [rows, count]
// @ts-expect-error the result type follows the factory
const wrong: string = await cache.getOrSet('n', () => 1)
// @ts-expect-error tags are strings
await cache.set('k', 1, { tags: [1] })
// @ts-expect-error failOpen is a boolean
await app.register(codexCache, { failOpen: 'yes' })
export const refusedToo = wrong

// Values are typed as JSON: what the serializer refuses does not compile. Interfaces (no index signature) still do.
interface User { name: string, age?: number, roles: string[], manager: User | null }
const ada: User = { name: 'Ada', roles: ['admin'], manager: null }
await cache.set('user', ada)
await cache.add('user', { ...ada, age: 36 })
await cache.set('sparse', { keep: 1, drop: undefined })
await cache.set('list', [ada, { name: 'Bob', roles: [], manager: ada }] as const)
await cache.setMany({ a: ada, b: 2, c: 'three', d: null })
await cache.setMany(new Map([['a', ada]]))
await cache.setMany([['a', 1], ['b', 'x']])
const parsed: unknown = JSON.parse('{}')
await cache.set('checked', parsed as JsonValue)
const computedUser: User = await cache.getOrSet('u', async () => ada)
const anyValue: any = new Date()
await cache.set('escape hatch (a custom serializer): any passes', anyValue)
export const jsonTyped = [computedUser]
// @ts-expect-error a Date is not JSON
await cache.set('k', new Date())
// @ts-expect-error nor a Map
await cache.set('k', new Map([['a', 1]]))
// @ts-expect-error nor a Set, however deep
await cache.set('k', { a: { b: [new Set([1])] } })
// @ts-expect-error nor a bigint
await cache.set('k', 10n)
// @ts-expect-error nor a function
await cache.add('k', { fn: () => 1 })
// @ts-expect-error nor undefined, outside an object property
await cache.set('k', [1, undefined])
// @ts-expect-error unknown must be checked (or cast to JsonValue) first
await cache.set('k', parsed)
interface Dated { at: Date }
// @ts-expect-error an interface with a Date inside
await cache.set('k', { at: new Date() } as Dated)
// @ts-expect-error setMany checks every entry
await cache.setMany({ a: 1, b: new Date() })
// @ts-expect-error in a Map too
await cache.setMany(new Map([['a', new Map()]]))
// @ts-expect-error a factory's result is stored: JSON too
await cache.getOrSet('k', async () => ({ at: new Date() }))
// @ts-expect-error sync or async
await cache.getOrSet('k', () => 10n)
// A factory that reads ctx (TypeScript fixes T before it sees the result): it compiles, typed by getOrSet<T> or the target.
interface Product { id: number, name: string }
const loadProduct = async (signal: AbortSignal): Promise<Product> => { signal.throwIfAborted(); return { id: 1, name: 'p' } }
const typedByParameter = await cache.getOrSet<Product>('p', (ctx) => loadProduct(ctx.signal))
const typedByTarget: Product = await cache.getOrSet('p', async (ctx) => ctx.stale ?? await loadProduct(ctx.signal))
const withoutContext: Product = await cache.getOrSet('p', () => loadProduct(new AbortController().signal))
const inAnyContext = async (): Promise<unknown> => await cache.getOrSet('p', async () => ({ a: 1 }))
export const contextual = [typedByParameter, typedByTarget, withoutContext, inAnyContext]
// @ts-expect-error a promise of an interface holding a Date
await cache.getOrSet('k', async () => ({ at: new Date() }) as Dated)
// @ts-expect-error getOrSet<T> checks T too
await cache.getOrSet<Dated>('k', (ctx) => ctx.stale ?? { at: new Date() })
// @ts-expect-error and in pairs
await cache.setMany([['a', 1], ['b', new Date()]])
const entries: CacheEntries = Math.random() > 0.5 ? { a: 1 } : new Map([['b', 'two']])
await cache.setMany(entries)
