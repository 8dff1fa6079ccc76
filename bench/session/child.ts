import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { BENCH_NODE_ARGS } from '../lib/node-args.js'
import type { SessionContestant } from './apps.js'

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url))
// Generous: on a machine shared with other work, tsx compiling a server can take tens of seconds.
const START_TIMEOUT_MS = 120_000
const STOP_GRACE_MS = 5000

export interface ServerProcess {
  readonly contestant: SessionContestant
  readonly pid: number
  readonly port: number
  readonly url: string
  stop (): Promise<void>
}

function exited (child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

/** Starts one contestant's server in its own Node process (fastify-codex as built, the bench through tsx) and waits for its port. */
export async function startServer (contestant: SessionContestant, redisUrl: string, nodeArgs: readonly string[] = []): Promise<ServerProcess> {
  // nodeArgs: e.g. ['--cpu-prof', '--cpu-prof-dir=…'] to profile the server (written when it exits on SIGTERM).
  const child = spawn(process.execPath, ['--expose-gc', ...nodeArgs, ...BENCH_NODE_ARGS, SERVER, contestant, redisUrl], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start the ${contestant} server`)
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(pid, 'SIGKILL')
      reject(new Error(`${contestant} server did not report its port within ${START_TIMEOUT_MS} ms`))
    }, START_TIMEOUT_MS)
    child.once('message', (message: { port?: number }) => {
      clearTimeout(timer)
      if (typeof message.port === 'number' && message.port > 0) resolve(message.port)
      else reject(new Error(`${contestant} server reported no port`))
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${contestant} server exited during start-up (${signal ?? `code ${String(code)}`})`))
    })
  })
  // A stray server must not outlive the bench: SIGKILL by PID when this process exits.
  const onExit = (): void => { if (!exited(child)) process.kill(pid, 'SIGKILL') }
  process.on('exit', onExit)
  return {
    contestant,
    pid,
    port,
    url: `http://127.0.0.1:${port}`,
    async stop () {
      process.off('exit', onExit)
      if (exited(child)) return
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      process.kill(pid, 'SIGTERM')
      const timer = setTimeout(() => { if (!exited(child)) process.kill(pid, 'SIGKILL') }, STOP_GRACE_MS)
      await gone
      clearTimeout(timer)
    }
  }
}
