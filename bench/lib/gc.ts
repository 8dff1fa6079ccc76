import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

// A collection between measured slices keeps one contestant's garbage from being collected in the next one's time.
setFlagsFromString('--expose-gc')
const collect = runInNewContext('gc') as (() => void) | undefined

/** Full GC, when the runtime allows it (a no-op otherwise). */
export function fullGc (): void {
  collect?.()
}
