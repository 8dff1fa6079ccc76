import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import t, { type Test } from 'tap'
import { freePort } from '../helpers/redis-server.js'

// `npm run demo` as a user runs it: npm → node (the demo) → its throwaway redis-server.
t.setTimeout(180_000)
const root = new URL('../../', import.meta.url).pathname

interface Demo { npm: ChildProcess, output: () => string, exited: Promise<number | null> }

function startDemo (t: Test, port: number): Demo {
  // detached: its own process group, like a shell job, so Ctrl-C can be sent to the whole group.
  const npm = spawn('npm', ['run', 'demo'], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORT: String(port), REDIS_URL: '' } })
  let output = ''
  npm.stdout?.on('data', (d: Buffer) => { output += d.toString() })
  npm.stderr?.on('data', (d: Buffer) => { output += d.toString() })
  const exited = new Promise<number | null>(resolve => npm.once('exit', code => resolve(code)))
  t.teardown(() => {
    if (npm.exitCode === null && npm.signalCode === null && npm.pid !== undefined) {
      try { process.kill(-npm.pid, 'SIGKILL') } catch {}
    }
  })
  return { npm, output: () => output, exited }
}

async function until<T> (what: string, probe: () => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function started (demo: Demo): Promise<{ app: number, redis: number }> {
  const m = await until('the demo banner', () => /\(pid (\d+); Redis: throwaway \S+, pid (\d+)\)/.exec(demo.output()) ?? undefined)
  return { app: Number(m[1]), redis: Number(m[2]) }
}

for (const [how, signal, group] of [['kill -TERM of the npm process', 'SIGTERM', false], ['Ctrl-C (SIGINT to the process group)', 'SIGINT', true]] as const) {
  t.test(`${how} stops the demo and its redis-server`, async t => {
    const port = await freePort()
    const demo = startDemo(t, port)
    const pids = await started(demo)
    t.ok(alive(pids.app) && alive(pids.redis), 'running')
    process.kill(group ? -(demo.npm.pid ?? 0) : demo.npm.pid ?? 0, signal)
    await demo.exited
    await until('the demo process to end', () => alive(pids.app) ? undefined : true, 15_000)
    await until('its redis-server to end', () => alive(pids.redis) ? undefined : true, 15_000)
    t.pass('the app and its redis-server are gone')
    const refused = await new Promise<boolean>(resolve => {
      const socket = net.connect(port, '127.0.0.1').once('connect', () => { socket.destroy(); resolve(false) }).once('error', () => resolve(true))
    })
    t.ok(refused, 'nothing listens on the port any more')
  })
}

t.test('a busy port: a one-line hint naming PORT, no stack, exit status 1', async t => {
  const blocker = net.createServer()
  await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => blocker.close())
  const port = (blocker.address() as net.AddressInfo).port
  const demo = startDemo(t, port)
  const code = await demo.exited
  t.equal(code, 1, 'exits with status 1')
  const lines = demo.output().split('\n').filter(l => l.trim() !== '' && !l.startsWith('>'))
  t.equal(lines.length, 1, `one line: ${demo.output()}`)
  t.match(lines[0], new RegExp(`Port ${port} is in use.*PORT=`))
  t.notMatch(demo.output(), /^\s+at /m, 'no stack trace')
})
