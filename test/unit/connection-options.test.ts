import { createClient } from '@redis/client'
import t from 'tap'
import {
  DEFAULT_COMMAND_TIMEOUT, DEFAULT_REDIS_URL, hasConnectionOption, resolveConnectionOptions, type ConnectionOptions
} from '../../lib/connection/options.js'

const noEnv = {}

t.test('no option: REDIS_URL, else the local default, with a 2000 ms command timeout', async (t) => {
  const fallback = resolveConnectionOptions({}, noEnv)
  t.same(fallback, { kind: 'single', address: { url: DEFAULT_REDIS_URL }, label: DEFAULT_REDIS_URL, commandTimeout: 2000 })
  t.equal(DEFAULT_COMMAND_TIMEOUT, 2000)
  t.ok(Object.isFrozen(fallback), 'resolved options are frozen')
  t.match(resolveConnectionOptions({}, { REDIS_URL: 'redis://cache:6380/2' }), { address: { url: 'redis://cache:6380/2' } }, 'REDIS_URL')
  t.match(resolveConnectionOptions({}, { REDIS_URL: '' }), { address: { url: DEFAULT_REDIS_URL } }, 'an empty REDIS_URL is unset')
  t.match(resolveConnectionOptions({ url: 'redis://other:1' }, { REDIS_URL: 'redis://cache:6380' }), { address: { url: 'redis://other:1' } }, 'url wins over REDIS_URL')
})

t.test('a unix socket url resolves to a socket path; the label never shows a password', async (t) => {
  t.same(resolveConnectionOptions({ url: 'redis+unix://:pw@/run/r.sock?db=4', commandTimeout: 300 }, noEnv), {
    kind: 'single',
    address: { socketPath: '/run/r.sock', database: 4, password: 'pw' },
    label: 'redis+unix://:***@/run/r.sock?db=4',
    commandTimeout: 300
  })
})

t.test('client, cluster and sentinel options resolve to their kind', async (t) => {
  const client = createClient()
  t.match(resolveConnectionOptions({ client }, noEnv), { kind: 'client', client, closeClient: false, commandTimeout: 2000 })
  t.match(resolveConnectionOptions({ client, closeClient: true }, noEnv), { kind: 'client', closeClient: true })
  const cluster = { rootNodes: [{ url: 'redis://127.0.0.1:7000' }] }
  t.match(resolveConnectionOptions({ cluster }, noEnv), { kind: 'cluster', cluster })
  const sentinel = { name: 'mymaster', sentinelRootNodes: [{ host: '127.0.0.1', port: 26379 }] }
  t.match(resolveConnectionOptions({ sentinel }, noEnv), { kind: 'sentinel', sentinel })
})

t.test('hasConnectionOption tells "reuse codexRedis" from "open my own"', async (t) => {
  t.notOk(hasConnectionOption({}))
  t.notOk(hasConnectionOption({ commandTimeout: 100 }), 'a timeout alone reuses the shared client')
  t.ok(hasConnectionOption({ url: 'redis://x' }))
  t.ok(hasConnectionOption({ cluster: { rootNodes: [] } }))
})

t.test('invalid options are rejected with FST_CODEX_INVALID_OPTIONS', async (t) => {
  const client = createClient()
  const bad: Array<[string, unknown]> = [
    ['url and cluster', { url: 'redis://x', cluster: { rootNodes: [{ url: 'redis://x' }] } }],
    ['url and client', { url: 'redis://x', client }],
    ['client and sentinel', { client, sentinel: { name: 'm', sentinelRootNodes: [{ host: 'h', port: 1 }] } }],
    ['zero timeout', { commandTimeout: 0 }],
    ['negative timeout', { commandTimeout: -5 }],
    ['NaN timeout', { commandTimeout: Number.NaN }],
    ['Infinity timeout', { commandTimeout: Infinity }],
    ['timeout beyond setTimeout', { commandTimeout: 2 ** 31 }],
    ['string timeout', { commandTimeout: '2000' }],
    ['bad scheme', { url: 'http://127.0.0.1:6379' }],
    ['empty url', { url: '' }],
    ['null url', { url: null }],
    ['number url', { url: 6379 }],
    ['client that is not a client', { client: {} }],
    ['null client', { client: null }],
    ['closeClient not boolean', { client, closeClient: 'yes' }],
    ['cluster without rootNodes', { cluster: {} }],
    ['cluster with empty rootNodes', { cluster: { rootNodes: [] } }],
    ['null cluster', { cluster: null }],
    ['sentinel without name', { sentinel: { sentinelRootNodes: [{ host: 'h', port: 1 }] } }],
    ['sentinel without nodes', { sentinel: { name: 'm', sentinelRootNodes: [] } }],
    ['null sentinel', { sentinel: null }]
  ]
  for (const [why, options] of bad) {
    t.throws(() => resolveConnectionOptions(options as ConnectionOptions, noEnv), { code: 'FST_CODEX_INVALID_OPTIONS' }, why)
  }
})

t.test('a commandTimeout of the wrong type is named as such in the message', async (t) => {
  t.throws(() => resolveConnectionOptions({ commandTimeout: '2000' as unknown as number }, noEnv), { code: 'FST_CODEX_INVALID_OPTIONS', message: /got the string '2000'/ })
  t.throws(() => resolveConnectionOptions({ commandTimeout: -5 }, noEnv), { code: 'FST_CODEX_INVALID_OPTIONS', message: /got -5$/ })
})
