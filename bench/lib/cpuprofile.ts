import { readFile } from 'node:fs/promises'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileLine {
  name: string
  where: string
  selfPct: number
}

export interface ProfileSummary {
  totalMs: number
  /** Self time by function, highest first. */
  functions: ProfileLine[]
  /** Self time by file (our files by path, node_modules by package, node internals as one line). */
  files: ProfileLine[]
  /** Inclusive time of every function in the named files (e.g. lib/…), highest first. */
  ours: ProfileLine[]
}

function shortUrl (url: string, root: string): string {
  if (url === '') return '(native / VM)'
  const path = url.replace(/^file:\/\//, '')
  const nm = path.lastIndexOf('/node_modules/')
  if (nm !== -1) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  if (path.startsWith('node:')) return 'node internals'
  return path.startsWith(root) ? path.slice(root.length + 1) : path
}

/** Self and inclusive time from a `node --cpu-prof` file, attributed to functions and files. */
export async function summarizeProfile (file: string, root: string, ourPrefixes: readonly string[] = ['lib/', 'dist/lib/']): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const selfUs = new Map<number, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt)
    total += dt
  })
  const fnSelf = new Map<string, ProfileLine>()
  const fileSelf = new Map<string, ProfileLine>()
  const oursInclusive = new Map<string, ProfileLine>()
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!
    const where = shortUrl(node.callFrame.url, root)
    const name = node.callFrame.functionName === '' ? '(anonymous)' : node.callFrame.functionName
    const fnKey = `${name}@${where}:${node.callFrame.lineNumber + 1}`
    const fn = fnSelf.get(fnKey) ?? { name, where: `${where}:${node.callFrame.lineNumber + 1}`, selfPct: 0 }
    fn.selfPct += us
    fnSelf.set(fnKey, fn)
    const file = fileSelf.get(where) ?? { name: where, where, selfPct: 0 }
    file.selfPct += us
    fileSelf.set(where, file)
    // Inclusive: each of our frames on the stack gets the sample once.
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)!.callFrame
      const path = shortUrl(frame.url, root)
      if (!ourPrefixes.some((p) => path.startsWith(p))) continue
      const key = `${frame.functionName || '(anonymous)'}@${path}:${frame.lineNumber + 1}`
      if (seen.has(key)) continue
      seen.add(key)
      const line = oursInclusive.get(key) ?? { name: frame.functionName || '(anonymous)', where: `${path}:${frame.lineNumber + 1}`, selfPct: 0 }
      line.selfPct += us
      oursInclusive.set(key, line)
    }
  }
  const pct = (lines: Iterable<ProfileLine>): ProfileLine[] =>
    [...lines].map((l) => ({ ...l, selfPct: (100 * l.selfPct) / total })).sort((a, b) => b.selfPct - a.selfPct)
  return { totalMs: total / 1000, functions: pct(fnSelf.values()), files: pct(fileSelf.values()), ours: pct(oursInclusive.values()) }
}

export interface CostLine {
  name: string
  where: string
  /** Microseconds sampled. */
  us: number
}

export interface ProfileCosts {
  /** Sampled µs with the thread busy (everything but `(idle)`). */
  busyUs: number
  /** Self time by function, keyed `name@where`. */
  functions: Map<string, CostLine>
  /** Self time by file or package; VM entries (`(garbage collector)`, `(program)`) and builtins by name. */
  files: Map<string, CostLine>
  /** Inclusive time by file or package: each file on the stack gets the sample once. */
  inclusiveFiles: Map<string, CostLine>
  /** Inclusive time of every function in files starting with one of `ourPrefixes`. */
  ours: Map<string, CostLine>
}

function add (map: Map<string, CostLine>, key: string, name: string, where: string, us: number): void {
  const line = map.get(key)
  if (line === undefined) map.set(key, { name, where, us })
  else line.us += us
}

/**
 * Costs from one or more `--cpu-prof` / inspector profiles, to divide by the requests they served.
 * `weight: 'samples'` counts each sample as one unit instead of its time delta: on a loaded machine a thread that
 * was descheduled takes its pending (coalesced) sample late, so deltas charge the wait to whatever ran next,
 * while counts stay proportional to CPU time. Scale the result with the process's measured CPU time.
 */
export async function profileCosts (files: readonly string[], root: string, ourPrefixes: readonly string[] = ['lib/', 'dist/lib/'], weight: 'time' | 'samples' = 'time'): Promise<ProfileCosts> {
  const costs: ProfileCosts = { busyUs: 0, functions: new Map(), files: new Map(), inclusiveFiles: new Map(), ours: new Map() }
  for (const file of files) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile
    const byId = new Map(profile.nodes.map((n) => [n.id, n]))
    const parent = new Map<number, number>()
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
    profile.samples.forEach((id, i) => {
      const us = weight === 'samples' ? 1 : (profile.timeDeltas[i] ?? 0)
      const frame = byId.get(id)!.callFrame
      const name = frame.functionName === '' ? '(anonymous)' : frame.functionName
      if (name === '(idle)') return
      costs.busyUs += us
      const path = shortUrl(frame.url, root)
      const where = frame.url === '' ? path : `${path}:${frame.lineNumber + 1}`
      add(costs.functions, `${name}@${where}`, name, where, us)
      // VM entries and builtins have no file: by name, so GC and JSON show as themselves.
      const fileKey = frame.url === '' ? name : path
      add(costs.files, fileKey, fileKey, path, us)
      const seenFiles = new Set<string>()
      const seenOurs = new Set<string>()
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const f = byId.get(cur)!.callFrame
        if (f.url === '') continue
        const p = shortUrl(f.url, root)
        if (!seenFiles.has(p)) {
          seenFiles.add(p)
          add(costs.inclusiveFiles, p, p, p, us)
        }
        if (!ourPrefixes.some((prefix) => p.startsWith(prefix))) continue
        const fn = f.functionName === '' ? '(anonymous)' : f.functionName
        const key = `${fn}@${p}:${f.lineNumber + 1}`
        if (seenOurs.has(key)) continue
        seenOurs.add(key)
        add(costs.ours, key, fn, `${p}:${f.lineNumber + 1}`, us)
      }
    })
  }
  return costs
}
