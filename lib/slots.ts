import calculateSlot from 'cluster-key-slot'

/** Groups keys by cluster hash slot: multi-key commands must stay within one slot. */
export function groupBySlot (keys: readonly string[]): string[][] {
  const groups = new Map<number, string[]>()
  for (const key of keys) {
    const slot = calculateSlot(key)
    const group = groups.get(slot)
    if (group === undefined) groups.set(slot, [key])
    else group.push(key)
  }
  return [...groups.values()]
}
