import { SimpleError } from '@redis/client'
import t from 'tap'
import { Availability, availabilityOf } from '../../lib/connection/availability.js'
import { DeadlineQueue } from '../../lib/connection/deadline.js'
import { recordMessages } from '../helpers/channels.js'

const never = <T = never>(): Promise<T> => new Promise<T>(() => {})
const offline = (): Error => Object.assign(new Error('The client is offline'), { name: 'ClientOfflineError' })

// The queue's timer is unref'd: keep the process alive while a deadline is pending.
const keepAlive = setInterval(() => {}, 1000)
t.teardown(() => clearInterval(keepAlive))

t.test('an outage is published once, at its first failure; restored once, at the first answer, with downMs', async (t) => {
  const down = recordMessages(t, 'fastify-codex:redis:unavailable')
  const up = recordMessages(t, 'fastify-codex:redis:restored')
  const availability = new Availability()
  const deadlines = new DeadlineQueue(30, undefined, availability)
  t.equal(await deadlines.track(Promise.resolve('PONG')), 'PONG')
  t.same([down.length, up.length], [0, 0], 'answers while up publish nothing')
  await t.rejects(deadlines.track(never()), { code: 'FST_CODEX_REDIS_UNAVAILABLE' })
  await t.rejects(deadlines.track(Promise.reject(offline())), { code: 'FST_CODEX_REDIS_UNAVAILABLE' })
  await t.rejects(deadlines.track(never()), { code: 'FST_CODEX_REDIS_UNAVAILABLE' })
  t.equal(down.length, 1, 'a timeout starts the outage; later failures belong to it')
  t.equal((down[0] as { error: { code: string } }).error.code, 'FST_CODEX_REDIS_UNAVAILABLE')
  t.ok(availability.isDown)
  // A Redis error is an answer: Redis is reachable again.
  await t.rejects(deadlines.track(Promise.reject(new SimpleError('WRONGTYPE'))), { code: 'FST_CODEX_REDIS_ERROR' })
  t.equal(up.length, 1)
  const { downMs } = up[0] as { downMs: number }
  t.ok(Number.isInteger(downMs) && downMs >= 30, `downMs ${downMs}`)
  await deadlines.track(Promise.resolve('OK'))
  t.same([down.length, up.length], [1, 1], 'nothing more once up')
  await t.rejects(deadlines.track(Promise.reject(offline())), { code: 'FST_CODEX_REDIS_UNAVAILABLE' })
  t.equal(down.length, 2, 'a second outage is published again')
})

t.test('connections over one client share its availability', async (t) => {
  const client = {}
  t.equal(availabilityOf(client), availabilityOf(client))
  t.not(availabilityOf(client), availabilityOf({}))
})
