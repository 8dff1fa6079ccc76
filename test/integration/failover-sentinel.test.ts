import t from 'tap'
import { everyLoopBackAt, failoverApp, failureSummary, judge, Load, waitUntil } from '../helpers/failover-load.js'
import { LandingLog, PromotionWatch, SwitchMasterWatch, wallNow } from '../helpers/failover-watch.js'
import { sentinelForTest } from '../helpers/redis-sentinel.js'

const COMMAND_TIMEOUT = Number(process.env.FAILOVER_COMMAND_TIMEOUT ?? 1000)
// Stock @redis/client opens the new master once Sentinel's own link to it is up (it refuses a master flagged
// `disconnected`): 0.86–1.0 s after +switch-master of the sentinel it asks when this file runs alone. The fix belongs
// upstream (docs/upstream/redis-client-sentinel-switch-master.md); the bound holds on a loaded 2-core machine.
const SWITCH_BOUND_MS = Number(process.env.FAILOVER_SWITCH_BOUND_MS ?? 2500)
// Every loop answers again within ~30 ms of the client opening the new master when this file runs alone (0.9–1.0 s
// after +switch-master); another suite sharing the 2 cores adds up to ~1.5 s: the end-to-end bound.
const RECOVERY_BOUND_MS = Number(process.env.FAILOVER_BOUND_MS ?? 4000)

// Starting six or seven servers and waiting out a real failover takes 20–40 s on a loaded 2-core machine.
t.setTimeout(120_000)

t.test('Sentinel failover under load: only 503s in the gap, no wrong answer, no write applied late, back soon after +switch-master', async (t) => {
  const setup = await sentinelForTest(t, { replicas: 1, sentinels: 3, downAfterMs: 1000, failoverTimeoutMs: 2000 })
  const replica = setup.replicas[0]!
  const landing = new LandingLog([setup.master, replica])
  const promotion = new PromotionWatch(replica)
  const switched = new SwitchMasterWatch(setup.sentinels)
  t.teardown(() => { landing.close(); promotion.close(); switched.close() })

  const { app } = await failoverApp({ sentinel: { name: setup.name, sentinelRootNodes: setup.sentinelRootNodes }, commandTimeout: COMMAND_TIMEOUT })
  t.teardown(() => app.close())
  const trace: string[] = []
  if (process.env.FAILOVER_TRACE === '1') {
    (app.codexRedis as unknown as { setTracer (t: { push (line: string): void }): void }).setTracer({ push: (line: string) => trace.push(`${(wallNow() - startedAt).toFixed(0)} ${line}`) })
  }
  let openedAt: number | undefined
  const client = app.codexRedis as unknown as { on (event: 'topology-change', listener: (event: { type: string, node?: { port: number } }) => void): void }
  client.on('topology-change', (event) => {
    if (event.type === 'MASTER_CHANGE' && event.node?.port === replica.port) openedAt ??= wallNow()
  })
  const startedAt = wallNow()
  const load = new Load(app)
  await load.sessionLoops(12)
  load.cacheLoops(12)
  await new Promise((resolve) => setTimeout(resolve, 2000))

  const killedAt = wallNow()
  await setup.master.kill()
  await waitUntil('+switch-master and the replica answering as master', () => switched.switchedAt !== undefined && promotion.promotedAt !== undefined, 20_000)
  const switchedAt = switched.switchedAt!
  // Healthy again: a full second without a failure, at least a second after the switch.
  await waitUntil('every loop reading again, and a second without failures', () => {
    const now = wallNow()
    return now > switchedAt + 1000 && load.ops.every((op) => op.outcome === 'ok' || op.start < now - 1000) &&
      load.loops.every((loop) => load.ops.some((op) => op.loop === loop && op.kind === 'read' && op.outcome === 'ok' && op.start > switchedAt))
  }, 20_000)
  await load.stop()
  // A write held by a client retry would land seconds later: watch a while before judging.
  await new Promise((resolve) => setTimeout(resolve, 4 * COMMAND_TIMEOUT))

  if (trace.length > 0) console.error(`killed at ${(killedAt - startedAt).toFixed(0)}\n${trace.filter((line) => !line.includes('attemping')).join('\n')}`)
  const verdict = judge(load.ops, killedAt, landing.firstSeen)
  const reads = load.ops.filter((op) => op.kind === 'read' && op.outcome === 'ok').length
  const late = verdict.landedAfter503.filter((w) => w.lateBy > COMMAND_TIMEOUT)
  const lag = (verdict.lastFailure ?? killedAt) - switchedAt
  // A held request may succeed late: also time the first answer the new master gave.
  const resumed = Math.min(...load.ops.filter((op) => op.outcome === 'ok' && op.start > killedAt).map((op) => op.end)) - switchedAt
  const back = (everyLoopBackAt(load.ops, killedAt) ?? killedAt) - switchedAt
  t.comment(`ops ${load.ops.length}, successful reads ${reads}, failed ${verdict.failed} (first ${((verdict.firstFailure ?? NaN) - killedAt).toFixed(0)} ms after the kill)`)
  t.comment(`replica promoted ${(promotion.promotedAt! - killedAt).toFixed(0)} ms after the kill, +switch-master at ${(switchedAt - killedAt).toFixed(0)} ms (per sentinel, the client's first: ${switched.each.map((at) => at === undefined ? '-' : (at - switchedAt).toFixed(0)).join(', ')} ms after)`)
  // The client asks the first sentinel of sentinelRootNodes that answers: all are up, so the first.
  const asked = switched.each[0] ?? Infinity
  const opened = (openedAt ?? Infinity) - asked
  t.comment(`the client opened the new master ${opened.toFixed(0)} ms after the +switch-master of the sentinel it asks (${((openedAt ?? Infinity) - switchedAt).toFixed(0)} ms after the first)`)
  t.comment(`last failure started ${lag.toFixed(0)} ms after +switch-master (${((verdict.lastFailure ?? killedAt) - promotion.promotedAt!).toFixed(0)} ms after the role change); first answer from the new master ${resumed.toFixed(0)} ms after +switch-master, every loop answering again ${back.toFixed(0)} ms after it`)
  t.comment(`503-answered writes Redis executed: ${verdict.landedAfter503.length}, latest ${Math.max(-Infinity, ...verdict.landedAfter503.map((w) => w.lateBy)).toFixed(0)} ms after its 503`)
  t.comment(`failures: ${failureSummary(load.ops, killedAt)}`)
  const afterSwitch = load.ops.filter((op) => op.outcome !== 'ok' && op.start > switchedAt)
  if (afterSwitch.length > 0) t.comment(`${afterSwitch.length} failed after +switch-master, e.g. ${afterSwitch.slice(-3).map((op) => `${op.loop} ${op.kind} ${(op.start - switchedAt).toFixed(0)}–${(op.end - switchedAt).toFixed(0)} ms: ${op.detail ?? op.outcome}`).join('; ')}`)
  if (verdict.lostAcked.length > 0) t.comment(`acknowledged writes lost with the master (async replication): ${verdict.lostAcked.join('; ')}`)

  const loops = new Set(load.ops.map((op) => op.loop))
  const readOk = (op: typeof load.ops[number]): boolean => op.kind === 'read' && op.outcome === 'ok'
  t.equal(loops.size, 24, 'every loop ran')
  t.same([...loops].filter((loop) => !load.ops.some((op) => op.loop === loop && readOk(op) && op.end < killedAt)), [], 'every loop read before the kill')
  t.same([...loops].filter((loop) => !load.ops.some((op) => op.loop === loop && readOk(op) && op.start > switchedAt)), [], 'every loop read after the switch')
  t.same(verdict.unexpected.map((op) => `${op.loop} ${op.kind}: ${op.outcome}`), [], 'every failure was a 503')
  t.same(verdict.wrong, [], 'no read returned anything but the last acknowledged write (or a later 503-answered one)')
  t.same(late.map((w) => `${w.id} executed ${w.lateBy.toFixed(0)} ms after its 503`), [], 'no 503-answered write was applied later by a client retry')
  t.ok(verdict.failed > 0, 'the kill was felt')
  t.ok(opened < SWITCH_BOUND_MS, `the client opened the new master ${opened.toFixed(0)} ms after its sentinel's +switch-master (bound ${SWITCH_BOUND_MS} ms)`)
  t.ok(back < RECOVERY_BOUND_MS, `every loop answered again ${back.toFixed(0)} ms after +switch-master (bound ${RECOVERY_BOUND_MS} ms)`)
  t.ok(lag < RECOVERY_BOUND_MS, `healthy again ${lag.toFixed(0)} ms after +switch-master (bound ${RECOVERY_BOUND_MS} ms)`)
  t.ok(resumed < RECOVERY_BOUND_MS, `the new master answered ${resumed.toFixed(0)} ms after +switch-master (bound ${RECOVERY_BOUND_MS} ms)`)
})
