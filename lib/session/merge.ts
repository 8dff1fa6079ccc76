import { fieldNames } from './payload.js'

/** Two values are the same field value when they serialize alike (payloads are strict JSON). */
function same (a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined) return false
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * Folds another request's save into this Session, field by field (top-level fields; the cookie is this save's).
 * `base`: the payload this request loaded; `theirs`: the payload stored since. For each field:
 * - changed only by them (set, changed or deleted): theirs is taken;
 * - changed only here: this request's value stays;
 * - changed by both: this, the later save, wins, except that a deletion on one side never beats a value the
 *   other side set (a field deleted by one stays deleted unless the other changed it).
 */
export function mergeFields (base: Record<string, unknown>, session: Record<string, unknown>, theirs: Record<string, unknown>): void {
  const names = new Set([...fieldNames(base), ...fieldNames(session), ...fieldNames(theirs)])
  for (const name of names) {
    const was = base[name]
    const mine = session[name]
    const other = theirs[name]
    const changedHere = !same(mine, was)
    const changedThere = !same(other, was)
    if (!changedThere) continue
    if (changedHere && !(mine === undefined && other !== undefined)) continue
    if (other === undefined) delete session[name]
    else session[name] = other
  }
}
