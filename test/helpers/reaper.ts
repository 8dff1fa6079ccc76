import { rmSync } from 'node:fs'
import { spawn, type ChildProcess } from 'node:child_process'
import type net from 'node:net'

// Cleans up after test processes however they end: test servers and temp dirs never outlive their test.
// Clean-up of servers whose test process dies without stopping them. Only our own PIDs are signalled.
const livePids = new Set<number>()
const tempDirs = new Set<string>()
let watchdog: ChildProcess | undefined

export function track (child: ChildProcess, pid: number): void {
  installExitHook()
  livePids.add(pid)
  tellWatchdog(`+${pid}`)
  child.once('exit', () => {
    livePids.delete(pid)
    tellWatchdog(`-${pid}`)
  })
}

export function registerDir (dir: string): void {
  installExitHook()
  tempDirs.add(dir)
  tellWatchdog(`d${dir}`)
}

let hookInstalled = false
function installExitHook (): void {
  if (hookInstalled) return
  hookInstalled = true
  // 'exit' covers normal ends and uncaught exceptions; the watchdog covers signals (tap's timeout sends SIGALRM) and SIGKILL.
  process.on('exit', () => {
    for (const pid of livePids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
  })
  startWatchdog()
}

// Reads "+PID" / "-PID" / "dDIR" lines; when its stdin closes (the test process is gone, however it died),
// it SIGKILLs the PIDs still listed and removes the dirs.
const WATCHDOG_SOURCE = `
const fs = require('node:fs')
const pids = new Set()
const dirs = new Set()
let buf = ''
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => {})
process.stdin.setEncoding('utf8')
process.stdin.on('data', data => {
  buf += data
  let i
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i)
    buf = buf.slice(i + 1)
    const value = line.slice(1)
    if (line[0] === '+') pids.add(Number(value))
    else if (line[0] === '-') pids.delete(Number(value))
    else if (line[0] === 'd') dirs.add(value)
  }
})
process.stdin.on('end', () => {
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch {} }
  for (const dir of dirs) { try { fs.rmSync(dir, { recursive: true, force: true }) } catch {} }
  process.exit(0)
})
`

function startWatchdog (): void {
  try {
    // No NODE_OPTIONS: tap's loaders must not be injected into the watchdog.
    watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { PATH: process.env.PATH ?? '' }
    })
    watchdog.on('error', () => { watchdog = undefined })
    watchdog.stdin?.on('error', () => {})
    watchdog.unref()
    ;(watchdog.stdin as net.Socket | null)?.unref()
  } catch {
    watchdog = undefined
  }
}

function tellWatchdog (line: string): void {
  watchdog?.stdin?.write(line + '\n')
}
