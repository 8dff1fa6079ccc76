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
export async function summarizeProfile (file: string, root: string, ourPrefixes: readonly string[] = ['lib/']): Promise<ProfileSummary> {
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
