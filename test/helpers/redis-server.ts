import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import type { Test } from 'tap'
import { registerDir, track } from './reaper.js'

export interface StartRedisOptions {
  /** Listen on `<tmpdir>/redis.sock` (and no TCP port) instead of a loopback port. */
  unixSocket?: boolean
  /** Extra redis-server arguments, appended after (so overriding) the defaults: `['--maxmemory', '1mb']`. */
  args?: string[]
  /** redis.conf text, written to `<tmpdir>/redis.conf` and passed first: sentinel needs a writable config file. */
  config?: string
}

export interface RedisServer {
  /** `redis://127.0.0.1:PORT` or `unix:///tmp/…/redis.sock` */
  readonly url: string
  /** TCP port; 0 for the unix-socket variant. */
  readonly port: number
  readonly socketPath?: string
  /** PID of the current process: a new one after `restart()`. */
  readonly pid: number
  /** Private temp dir used as `--dir` (holds the socket and any config); removed when the test process exits. */
  readonly dir: string
  /** SIGTERM, wait for exit, SIGKILL after 2 s. Idempotent; works on a paused server. */
  stop (): Promise<void>
  /** SIGKILL and wait for exit: no shutdown, so a unix socket file is left behind (ECONNREFUSED, not ENOENT). */
  kill (): Promise<void>
  /** SIGSTOP: connections stay open but nothing is answered. */
  pause (): void
  /** SIGCONT */
  resume (): void
  /** Stops it if still running, then starts it on the same port/socket with the same args and waits for PING. */
  restart (): Promise<void>
  /** Unix-socket variant only: stop the server and delete the socket file, so connecting fails with ENOENT. */
  removeSocket (): Promise<void>
  /** Runs `redis-cli` against this server and returns its stdout (raw format, since stdout is not a tty). */
  cli (...args: string[]): Promise<string>
}

/** The part of a tap test the helpers use; `t` inside any `t.test()` callback fits. */
export type TestWithTeardown = Pick<Test, 'teardown'>

export const INSTALL_HINT = 'install it with `apt-get install -y redis-server`'
const START_TIMEOUT_MS = 5000
const STOP_GRACE_MS = 2000
const OUTPUT_TAIL_CHARS = 8192

export async function startRedis (opts: StartRedisOptions = {}): Promise<RedisServer> {
  requireBinary('redis-server')
  const dir = await mkdtemp(join(tmpdir(), 'fastify-codex-redis-'))
  registerDir(dir)
  const configFile = opts.config === undefined ? undefined : join(dir, 'redis.conf')
  if (configFile !== undefined) await writeFile(configFile, opts.config ?? '')
  const socketPath = opts.unixSocket === true ? join(dir, 'redis.sock') : undefined
  const base = { dir, configFile, socketPath, args: opts.args ?? [] }

  if (socketPath !== undefined) {
    const server = new Server({ ...base, port: 0 })
    await server.start()
    return server
  }
  // The OS picks a free port, but someone can take it before redis binds: try again with another.
  for (let attempt = 1; ; attempt++) {
    const server = new Server({ ...base, port: await freePort() })
    try {
      await server.start()
      return server
    } catch (err) {
      if (attempt >= 5 || !(err instanceof RedisStartError) || !err.addressInUse) throw err
    }
  }
}

/** Starts a server and stops it in the test's teardown: `const redis = await redisForTest(t)`. */
export async function redisForTest (t: TestWithTeardown, opts?: StartRedisOptions): Promise<RedisServer> {
  const server = await startRedis(opts)
  t.teardown(() => server.stop())
  return server
}

/** A loopback port that was free a moment ago (listen on 0, read it, close). */
export async function freePort (): Promise<number> {
  const probe = net.createServer()
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', resolve)
  })
  const { port } = probe.address() as net.AddressInfo
  await new Promise<void>(resolve => probe.close(() => resolve()))
  return port
}

/** Throws the install hint when `name` (redis-server or redis-cli, both from Debian's redis packages) is missing. */
export function requireBinary (name: string): void {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(d => d !== '')
  for (const d of dirs) {
    try {
      accessSync(join(d, name), constants.X_OK)
      return
    } catch {}
  }
  const err = new Error(`${name} is not on PATH: ${INSTALL_HINT}`) as Error & { code: string }
  err.code = 'ERR_REDIS_SERVER_NOT_FOUND'
  throw err
}

/** Runs redis-cli with a timeout (5 s: a paused server would otherwise hang it) and returns stdout. */
export async function redisCli (target: string[], args: string[], timeoutMs = 5000): Promise<string> {
  requireBinary('redis-cli')
  return await new Promise((resolve, reject) => {
    execFile('redis-cli', [...target, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`redis-cli ${args.join(' ')} failed: ${err.message}\n${stderr}`, { cause: err }))
      else resolve(stdout)
    })
  })
}

export class RedisStartError extends Error {
  readonly code = 'ERR_REDIS_SERVER_START'
  readonly addressInUse: boolean
  constructor (message: string, output: string) {
    super(`${message}\n--- redis-server output ---\n${output}`)
    this.addressInUse = output.includes('Address already in use')
  }
}

interface ServerConfig {
  dir: string
  port: number
  socketPath: string | undefined
  configFile: string | undefined
  args: string[]
}

class Server implements RedisServer {
  readonly url: string
  readonly port: number
  readonly socketPath?: string
  readonly dir: string
  readonly #argv: string[]
  #child: ChildProcess | undefined
  #output = ''

  constructor (config: ServerConfig) {
    this.dir = config.dir
    this.port = config.port
    if (config.socketPath !== undefined) this.socketPath = config.socketPath
    this.url = config.socketPath === undefined ? `redis://127.0.0.1:${config.port}` : `unix://${config.socketPath}`
    this.#argv = [
      ...(config.configFile === undefined ? [] : [config.configFile]),
      '--bind', '127.0.0.1',
      '--port', String(config.port),
      ...(config.socketPath === undefined ? [] : ['--unixsocket', config.socketPath, '--unixsocketperm', '700']),
      '--save', '',
      '--appendonly', 'no',
      '--dir', config.dir,
      '--daemonize', 'no',
      ...config.args
    ]
  }

  get pid (): number {
    return this.#child?.pid ?? 0
  }

  async start (): Promise<void> {
    this.#output = ''
    // detached: its own process group, so a terminal's Ctrl-C reaches the app (which closes first), not Redis.
    const child = spawn('redis-server', this.#argv, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    this.#child = child
    const onOutput = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS)
    }
    child.stdout?.on('data', onOutput)
    child.stderr?.on('data', onOutput)
    child.on('error', err => onOutput(Buffer.from(`spawn error: ${err.message}\n`)))
    if (child.pid !== undefined) track(child, child.pid)
    // A forgotten server must not keep the test process alive: the exit hook kills it instead.
    child.unref()
    ;(child.stdout as net.Socket | null)?.unref()
    ;(child.stderr as net.Socket | null)?.unref()

    const target = this.socketPath === undefined ? { host: '127.0.0.1', port: this.port } : { path: this.socketPath }
    const deadline = Date.now() + START_TIMEOUT_MS
    while (true) {
      if (hasExited(child)) {
        throw new RedisStartError(`redis-server exited during start-up (${describeExit(child)})`, this.#output)
      }
      if (await ping(target, 250)) return
      if (Date.now() > deadline) {
        await this.kill()
        throw new RedisStartError(`redis-server did not answer PING on ${this.url} within ${START_TIMEOUT_MS} ms`, this.#output)
      }
      await delay(25)
    }
  }

  async stop (): Promise<void> {
    const child = this.#child
    if (child === undefined || hasExited(child)) return
    const exited = waitForExit(child)
    signal(child, 'SIGTERM')
    // A stopped (paused) process only acts on SIGTERM once continued.
    signal(child, 'SIGCONT')
    const timer = setTimeout(() => signal(child, 'SIGKILL'), STOP_GRACE_MS)
    await exited
    clearTimeout(timer)
  }

  async kill (): Promise<void> {
    const child = this.#child
    if (child === undefined || hasExited(child)) return
    const exited = waitForExit(child)
    signal(child, 'SIGKILL')
    await exited
  }

  pause (): void {
    if (this.#child !== undefined) signal(this.#child, 'SIGSTOP')
  }

  resume (): void {
    if (this.#child !== undefined) signal(this.#child, 'SIGCONT')
  }

  async restart (): Promise<void> {
    await this.stop()
    await this.start()
  }

  async removeSocket (): Promise<void> {
    if (this.socketPath === undefined) throw new Error('removeSocket() needs a server started with { unixSocket: true }')
    await this.stop()
    await rm(this.socketPath, { force: true })
  }

  async cli (...args: string[]): Promise<string> {
    const target = this.socketPath === undefined ? ['-h', '127.0.0.1', '-p', String(this.port)] : ['-s', this.socketPath]
    return await redisCli(target, args)
  }
}

function hasExited (child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

function describeExit (child: ChildProcess): string {
  return child.signalCode === null ? `exit code ${String(child.exitCode)}` : `signal ${child.signalCode}`
}

function signal (child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined || hasExited(child)) return
  try {
    process.kill(child.pid, sig)
  } catch {}
}

/** Resolves on the child's exit; the timer keeps the event loop (and so the wait) alive despite child.unref(). */
async function waitForExit (child: ChildProcess): Promise<void> {
  if (hasExited(child)) return
  const keepAlive = setInterval(() => {}, 1000)
  try {
    await new Promise(resolve => child.once('exit', resolve))
  } finally {
    clearInterval(keepAlive)
  }
}

async function delay (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** One raw RESP PING; NOAUTH also means the server is up (it was started with requirepass). */
async function ping (target: net.NetConnectOpts, timeoutMs: number): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = net.connect(target)
    let reply = ''
    const done = (up: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(up)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'))
    socket.on('data', chunk => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'))
    })
    socket.on('error', () => done(false))
    socket.on('close', () => done(false))
  })
}
