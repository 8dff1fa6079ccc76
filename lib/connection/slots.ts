import calculateSlot from 'cluster-key-slot'

/** Groups items by their key's cluster hash slot: multi-key commands must stay within one slot. */
export function groupBySlot<T> (items: readonly T[], keyOf: (item: T) => string): T[][] {
  const groups = new Map<number, T[]>()
  for (const item of items) {
    const slot = calculateSlot(keyOf(item))
    const group = groups.get(slot)
    if (group === undefined) groups.set(slot, [item])
    else group.push(item)
  }
  return [...groups.values()]
}
