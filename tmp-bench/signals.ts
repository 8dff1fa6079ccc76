import { startCluster } from '../test/helpers/redis-cluster.js'
import { RedisConnection } from '../lib/connection/connection.js'
import { DeadlineQueue } from '../lib/connection/deadline.js'
import { resolveConnectionOptions } from '../lib/connection/options.js'
const cluster = await startCluster()
const c = new RedisConnection(resolveConnectionOptions({ cluster: { rootNodes: cluster.rootNodes }, commandTimeout: 2000 }), () => {})
await c.connect()
const plain = new DeadlineQueue(2000)
const keys = Array.from({ length: 64 }, (_, i) => `k${i}`)
await Promise.all(keys.map((k) => c.run((x) => x.set(k, 'v'))))
async function round (mode: 'signals' | 'plain', ms: number): Promise<number> {
  let n = 0
  const end = performance.now() + ms
  await Promise.all(keys.map(async (k) => {
    while (performance.now() < end) {
      if (mode === 'signals') await c.run((x) => x.get(k))
      else await plain.track(c.commands.get(k))
      n++
    }
  }))
  return n / ms * 1000
}
const ratios: number[] = []
for (let i = 0; i < 8; i++) {
  const a = await round('plain', 1000)
  const b = await round('signals', 1000)
  ratios.push(b / a)
  console.log(`plain ${a.toFixed(0)}/s signals ${b.toFixed(0)}/s ratio ${(b / a).toFixed(3)}`)
}
ratios.sort()
console.log('median ratio', ((ratios[3]! + ratios[4]!) / 2).toFixed(3))
await c.close()
await cluster.stop()
