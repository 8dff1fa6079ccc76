import { InvalidOptionsError } from './errors.js'

/** Refuses an unknown option name: a plain-JavaScript typo (`tll`) must fail at registration, not fall back to a default. */
export function rejectUnknownOptions (options: object, known: ReadonlySet<string>, where: string): void {
  for (const name of Object.keys(options)) {
    if (known.has(name) || (options as Record<string, unknown>)[name] === undefined) continue
    const suggestion = closestName(name, known)
    throw new InvalidOptionsError(`${where} has no option '${name}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}`)
  }
}

// A known name within two edits (case ignored) is the likely intent.
function closestName (name: string, known: ReadonlySet<string>): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

function editDistance (a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution)
    }
    previous = current
  }
  return previous[b.length] ?? 0
}
