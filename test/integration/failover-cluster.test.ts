import calculateSlot from 'cluster-key-slot'
import t from 'tap'
import { failoverApp, failureSummary, judge, Load, waitUntil, type Op } from '../helpers/failover-load.js'
import { LandingLog, PromotionWatch, wallNow } from '../helpers/failover-watch.js'
import { clusterForTest } from '../helpers/redis-cluster.js'

const COMMAND_TIMEOUT = Number(process.env.FAILOVER_COMMAND_TIMEOUT ?? 1000)
// The goal is 500 ms after the replica takes over; CI machines are loaded, so the suite allows more.
const RECOVERY_BOUND_MS = Number(process.env.FAILOVER_BOUND_MS ?? 1500)
// `no` is what the README recommends; FAILOVER_FULL_COVERAGE=yes measures Redis's default.
const FULL_COVERAGE = process.env.FAILOVER_FULL_COVERAGE ?? 'no'
// FAILOVER_LIBRARY_DEFAULTS=1 measures @redis/client's own topology-refresh and reconnect timing, for comparison.
const LIBRARY_DEFAULTS = process.env.FAILOVER_LIBRARY_DEFAULTS === '1'
  ? { topologyRefreshOnReconnectionAttemptStrategy: undefined, defaults: { socket: { reconnectStrategy: undefined } } }
  : {}

// Starting six or seven servers and waiting out a real failover takes 20–40 s on a loaded 2-core machine.
t.setTimeout(120_000)

t.test(`Cluster failover under load (cluster-require-full-coverage ${FULL_COVERAGE}): only 503s, no wrong answer, no write applied late, back soon after the promotion`, async (t) => {
  const cluster = await clusterForTest(t, {
    masters: 3,
    replicas: 1,
    args: ['--cluster-node-timeout', '1000', '--cluster-require-full-coverage', FULL_COVERAGE]
  })
  const victim = cluster.masters[0]!
  const heir = cluster.replicasOf(victim)[0]!
  const victimSlots = new Set<number>()
  const slotsReply = await heir.cli('CLUSTER', 'NODES')
  const victimLine = slotsReply.split('\n').find((line) => line.includes(`:${victim.port}@`))!
  for (const range of victimLine.split(' ').slice(8)) {
    const [from, to] = range.split('-').map(Number)
    for (let slot = from!; slot <= (to ?? from!); slot++) victimSlots.add(slot)
  }

  const landing = new LandingLog(cluster.nodes)
  const promotion = new PromotionWatch(heir)
  t.teardown(() => { landing.close(); promotion.close() })

  const { app } = await failoverApp({ cluster: { rootNodes: cluster.rootNodes, ...LIBRARY_DEFAULTS }, commandTimeout: COMMAND_TIMEOUT })
  t.teardown(() => app.close())
  const load = new Load(app)
  await load.sessionLoops(12)
  load.cacheLoops(12)
  await new Promise((resolve) => setTimeout(resolve, 2000))

  const killedAt = wallNow()
  await victim.kill()
  await waitUntil('the replica answering as master', () => promotion.promotedAt !== undefined, 20_000)
  const promotedAt = promotion.promotedAt!
  await waitUntil('every loop reading again, and a second without failures', () => {
    const now = wallNow()
    return now > promotedAt + 1000 && load.ops.every((op) => op.outcome === 'ok' || op.start < now - 1000) &&
      load.loops.every((loop) => load.ops.some((op) => op.loop === loop && op.kind === 'read' && op.outcome === 'ok' && op.start > promotedAt))
  }, 20_000)
  await load.stop()
  await new Promise((resolve) => setTimeout(resolve, 4 * COMMAND_TIMEOUT))

  const onVictim = (op: Op): boolean => victimSlots.has(calculateSlot(load.keys.get(op.loop)!))
  const verdict = judge(load.ops, killedAt, landing.firstSeen)
  const elsewhere = judge(load.ops.filter((op) => !onVictim(op)), killedAt, landing.firstSeen)
  const late = verdict.landedAfter503.filter((w) => w.lateBy > COMMAND_TIMEOUT)
  const lag = (verdict.lastFailure ?? killedAt) - promotedAt
  // A held request may succeed late: also time the first answer the promoted replica gave for the lost slots.
  const resumed = Math.min(...load.ops.filter((op) => op.outcome === 'ok' && op.start > killedAt && onVictim(op)).map((op) => op.end)) - promotedAt
  t.comment(`ops ${load.ops.length}, failed ${verdict.failed}; on the other masters' slots: ${elsewhere.failed} failed (${((elsewhere.firstFailure ?? NaN) - killedAt).toFixed(0)} to ${((elsewhere.lastFailure ?? NaN) - killedAt).toFixed(0)} ms after the kill)`)
  t.comment(`replica promoted ${(promotedAt - killedAt).toFixed(0)} ms after the kill; last failure started ${lag.toFixed(0)} ms after the promotion, first answer for the lost slots ${resumed.toFixed(0)} ms after it`)
  t.comment(`503-answered writes Redis executed: ${verdict.landedAfter503.length}, latest ${Math.max(-Infinity, ...verdict.landedAfter503.map((w) => w.lateBy)).toFixed(0)} ms after its 503`)
  t.comment(`failures: ${failureSummary(load.ops, killedAt)}`)
  if (verdict.lostAcked.length > 0) t.comment(`acknowledged writes lost with the master (async replication): ${verdict.lostAcked.join('; ')}`)

  const loops = new Set(load.ops.map((op) => op.loop))
  const readOk = (op: Op): boolean => op.kind === 'read' && op.outcome === 'ok'
  t.equal(loops.size, 24, 'every loop ran')
  t.ok([...loops].some((loop) => onVictim(load.ops.find((op) => op.loop === loop)!)), 'some loops use the killed master')
  t.same([...loops].filter((loop) => !load.ops.some((op) => op.loop === loop && readOk(op) && op.start > promotedAt)), [], 'every loop read after the promotion')
  t.same(verdict.unexpected.map((op) => `${op.loop} ${op.kind}: ${op.outcome} ${op.detail ?? ''}`), [], 'every failure was a 503')
  t.same(verdict.wrong, [], 'no read returned anything but the last acknowledged write (or a later 503-answered one)')
  t.same(late.map((w) => `${w.id} executed ${w.lateBy.toFixed(0)} ms after its 503`), [], 'no 503-answered write was applied later by a client retry')
  t.ok(verdict.failed > 0, 'the kill was felt')
  t.ok(lag < RECOVERY_BOUND_MS, `healthy again ${lag.toFixed(0)} ms after the promotion (bound ${RECOVERY_BOUND_MS} ms)`)
  t.ok(resumed < RECOVERY_BOUND_MS, `the promoted replica answered ${resumed.toFixed(0)} ms after the promotion (bound ${RECOVERY_BOUND_MS} ms)`)
})
