import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

const root = fileURLToPath(new URL('../../', import.meta.url))
const CHILD = fileURLToPath(new URL('./read-through-child.ts', import.meta.url))

export interface Child {
  process: ChildProcess
  /** Resolves with the first stdout line starting with `prefix` (its remainder). */
  line (prefix: string): Promise<string>
  exited: Promise<number | null>
}

/** A process running read-through-child.ts (or `script`) with `env`, killed at teardown. */
export function startChild (t: Test, env: Record<string, string>, script = CHILD): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
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

/** Lets a ready child call getOrSet. */
export const go = (child: Child): void => { child.process.stdin!.write('go\n') }
