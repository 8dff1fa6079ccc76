import t from 'tap'
import { go, startChild } from '../helpers/read-through-children.js'
import { clusterForTest } from '../helpers/redis-cluster.js'

t.test('cluster: processes on one cold key still compute once', async t => {
  const cluster = await clusterForTest(t)
  const env = { CLUSTER: cluster.rootNodes.map((n) => n.url).join(','), HOLD_MS: '300', KEY: 'cluster-cold' }
  const children = Array.from({ length: 3 }, () => startChild(t, env))
  await Promise.all(children.map((c) => c.line('ready')))
  children.forEach(go)
  const values = await Promise.all(children.map((c) => c.line('value ')))
  t.equal(new Set(values).size, 1, 'one value')
  const runs = await Promise.all(cluster.nodes.map((node) => node.cli('GET', '{mp}:runs')))
  t.equal(runs.map((r) => r.trim()).filter((r) => /^\d+$/.test(r)).join(), '1', 'one run (the node holding the counter says 1; the others answer MOVED)')
})
