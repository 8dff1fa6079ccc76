import { createRequire } from 'node:module'
import t from 'tap'
import { installSentinelNewMasterFix, newMasterObservation, type NamedMaster } from '../../lib/connection/sentinel-new-master.js'

const require = createRequire(import.meta.url)

interface Internal { analyze (observed: unknown): { masterToOpen?: { host: string, port: number } } }
type InternalClass = new (options: { name: string, sentinelRootNodes: Array<{ host: string, port: number }> }, id: string) => Internal

function observed (flags: string, port = 7001, currentMaster?: { host: string, port: number }) {
  return {
    sentinelConnected: { host: '127.0.0.1', port: 26379 },
    sentinelData: [],
    masterData: { name: 'mymaster', ip: '127.0.0.1', port: String(port), flags, 'config-epoch': '3' },
    replicaData: [],
    currentMaster,
    currentReplicas: new Map(),
    currentSentinel: undefined,
    replicaPoolSize: 0,
    useReplicas: false
  }
}

t.test('the pinned @redis/client has the internals the fix wraps, and installing twice wraps once', async (t) => {
  // Fails when an @redis/client upgrade changes analyze()/parseNode: then re-read its sentinel code, fix or drop this.
  t.equal(installSentinelNewMasterFix(), 'installed')
  const { RedisSentinelInternal } = require('@redis/client/dist/lib/sentinel/index.js') as { RedisSentinelInternal: InternalClass & { prototype: { analyze: unknown } } }
  const wrapped = RedisSentinelInternal.prototype.analyze
  t.equal(installSentinelNewMasterFix(), 'installed')
  t.equal(RedisSentinelInternal.prototype.analyze, wrapped, 'not wrapped twice')
})

t.test('the real analyze(): a newly switched master Sentinel has no link to yet is opened; a lost one is still refused', async (t) => {
  installSentinelNewMasterFix()
  const { RedisSentinelInternal } = require('@redis/client/dist/lib/sentinel/index.js') as { RedisSentinelInternal: InternalClass }
  const internal = new RedisSentinelInternal({ name: 'mymaster', sentinelRootNodes: [{ host: '127.0.0.1', port: 26379 }] }, 'test')
  const old = { host: '127.0.0.1', port: 7001 }
  t.same(internal.analyze(observed('master', 7001)).masterToOpen, old, 'start-up: the master Sentinel names')
  t.throws(() => internal.analyze(observed('master,disconnected', 7001, old)), /no valid master/, 'the known master, unlinked: refused at once')
  t.throws(() => internal.analyze(observed('s_down,o_down,master,disconnected,failover_in_progress', 7001)), /no valid master/)
  t.same(internal.analyze(observed('master,disconnected', 7002)).masterToOpen, { host: '127.0.0.1', port: 7002 }, 'the switched-to master, unlinked: opened')
  t.equal(internal.analyze(observed('master,disconnected', 7002, { host: '127.0.0.1', port: 7002 })).masterToOpen, undefined, 'still unlinked: kept')
  internal.analyze(observed('master', 7002, { host: '127.0.0.1', port: 7002 }))
  t.throws(() => internal.analyze(observed('master,disconnected', 7002)), /no valid master/, 'linked, then lost: refused')

  const other = new RedisSentinelInternal({ name: 'mymaster', sentinelRootNodes: [{ host: '127.0.0.1', port: 26379 }] }, 'other')
  t.same(other.analyze(observed('master,disconnected', 7001)).masterToOpen, old, 'each sentinel client remembers its own master')
})

t.test('newMasterObservation lets through only a master flagged exactly master,disconnected that is new or still unlinked', async (t) => {
  const linked: NamedMaster = { address: '127.0.0.1:7001', unlinked: false }
  const fresh = observed('master,disconnected', 7002)
  const relaxed = newMasterObservation(fresh, linked)
  t.same(relaxed.observed, { ...fresh, masterData: { ...fresh.masterData, flags: 'master' } }, 'only the flags change')
  t.same(relaxed.named, { address: '127.0.0.1:7002', unlinked: true })
  t.equal(fresh.masterData.flags, 'master,disconnected', 'the observation passed in is not modified')
  t.same(newMasterObservation(fresh, relaxed.named).named, { address: '127.0.0.1:7002', unlinked: true }, 'still unlinked: still let through')
  t.same(newMasterObservation(observed('master,disconnected'), undefined).named, { address: '127.0.0.1:7001', unlinked: true }, 'at start-up')

  const lost = observed('master,disconnected', 7001)
  t.equal(newMasterObservation(lost, linked).observed, lost, 'the linked master, now unlinked: as is')
  for (const flags of ['s_down,master,disconnected', 'o_down,master,disconnected', 'master,disconnected,failover_in_progress', 'master,disconnected,promoted', 'slave,disconnected', 'master']) {
    const seen = observed(flags, 7002)
    const next = newMasterObservation(seen, linked)
    t.equal(next.observed, seen, `${flags}: as is`)
    t.same(next.named, { address: '127.0.0.1:7002', unlinked: false })
  }
  t.same(newMasterObservation({ masterData: { flags: 1 } }, linked), { observed: { masterData: { flags: 1 } }, named: linked }, 'an unknown shape: as is')
  t.same(newMasterObservation(undefined, linked), { observed: undefined, named: linked })
})
