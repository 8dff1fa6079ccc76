import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { rawClient } from '../helpers/cache-app.js'
import { redisForTest } from '../helpers/redis-server.js'
import { clusterForTest } from '../helpers/redis-cluster.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const CHILD = fileURLToPath(new URL('../helpers/read-through-child.ts', import.meta.url))

interface Child {
  process: ChildProcess
  /** Resolves with the first stdout line starting with `prefix` (its remainder). */
  line (prefix: string): Promise<string>
  exited: Promise<number | null>
}

function startChild (t: Test, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe']
  })
  let output = ''
  const waiters: Array<{ prefix: string, resolve: (rest: string) => void }> = []
  const scan = (): void => {
    for (const line of output.split('\n')) {
      for (const w of [...waiters]) {
        if (line.startsWith(w.prefix)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(line.slice(w.prefix.length))
        }
      }
    }
  }
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); scan() })
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  // A safety net only: the assertions expect every child to end within seconds.
  const killer = setTimeout(() => child.kill('SIGKILL'), 50_000)
  t.teardown(() => { clearTimeout(killer); child.kill('SIGKILL') })
  return {
    process: child,
    exited,
    line: (prefix) => new Promise((resolve, reject) => {
      waiters.push({ prefix, resolve })
      scan()
      exited.then((code) => reject(new Error(`child exited (${code}) before "${prefix}": ${output}`)), () => {})
    })
  }
}

const go = (child: Child): void => { child.process.stdin!.write('go\n') }

t.test('four processes on one cold key: the factory runs once in all, everyone gets its value', async t => {
  const redis = await redisForTest(t)
  const client = await rawClient(t, redis)
  const children = Array.from({ length: 4 }, () => startChild(t, { REDIS_URL: redis.url, HOLD_MS: '300' }))
  await Promise.all(children.map((c) => c.line('ready')))
  children.forEach(go)
  const values = await Promise.all(children.map((c) => c.line('value ')))
  t.equal(await client.get('{mp}:runs'), '1', 'one run across four processes')
  t.equal(new Set(values).size, 1, `every process got the same value: ${values.join(' ')}`)
  t.same(await Promise.all(children.map((c) => c.exited)), [0, 0, 0, 0], 'every process ended on its own')
})

t.test('the computing process is killed mid-factory: another takes over once its lock expires', async t => {
  const redis = await redisForTest(t)
  const client = await rawClient(t, redis)
  const holder = startChild(t, { REDIS_URL: redis.url, HOLD_MS: '60000' })
  const waiters = [startChild(t, { REDIS_URL: redis.url, HOLD_MS: '100' }), startChild(t, { REDIS_URL: redis.url, HOLD_MS: '100' })]
  await Promise.all([holder, ...waiters].map((c) => c.line('ready')))
  go(holder)
  await holder.line('computing')
  waiters.forEach(go)
  await new Promise((resolve) => setTimeout(resolve, 300))
  holder.process.kill('SIGKILL')
  const killedAt = performance.now()
  const values = await Promise.all(waiters.map((c) => c.line('value ')))
  const took = performance.now() - killedAt
  t.equal(await client.get('{mp}:runs'), '2', 'the dead holder’s run, then exactly one more')
  t.equal(values[0], values[1], 'both waiters got the same value')
  t.ok(took < 9000, `taken over ${Math.round(took)} ms after the kill (lock TTL 5 s)`)
})

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
