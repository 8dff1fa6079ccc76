import { setMaxListeners } from 'node:events'

interface Window<V> {
  /** performance.now() millisecond at which the window's commands are past their deadline. */
  readonly at: number
  readonly controller: AbortController
  readonly view: V
}

/**
 * Command views whose `abortSignal` fires at the commands' deadline. @redis/client's cluster and sentinel layers
 * hold a command while they rediscover the topology and send it afterwards (sentinel `execute()` awaits its
 * reconnect; cluster `_execute()` awaits a node connect or a MOVED rediscovery), which would apply a write
 * that already answered 503; a node client drops a command whose signal has aborted before writing it.
 * Commands started in the same millisecond share one signal (and one view), so the cost is one listener each.
 */
export class DeadlineSignals<V> {
  readonly #timeoutMs: number
  readonly #makeView: (signal: AbortSignal) => V
  readonly #windows: Array<Window<V>> = []
  #head = 0

  constructor (timeoutMs: number, makeView: (signal: AbortSignal) => V) {
    this.#timeoutMs = timeoutMs
    this.#makeView = makeView
  }

  /** The view for a command starting now: its signal aborts no later than the DeadlineQueue rejects it. */
  view (now = performance.now()): V {
    // floor: the DeadlineQueue rounds up, so the signal never outlives the 503.
    const at = Math.floor(now + this.#timeoutMs)
    const last = this.#windows[this.#windows.length - 1]
    if (last !== undefined && last.at === at) return last.view
    this.abortDue(now)
    const controller = new AbortController()
    // One listener per queued command on a shared signal is expected, not a leak.
    setMaxListeners(0, controller.signal)
    const window = { at, controller, view: this.#makeView(controller.signal) }
    this.#windows.push(window)
    return window.view
  }

  /** Aborts every window whose deadline has come: called by the DeadlineQueue before it answers 503. */
  abortDue (now: number): void {
    const windows = this.#windows
    while (this.#head < windows.length && windows[this.#head]!.at <= now) windows[this.#head++]!.controller.abort()
    if (this.#head === windows.length) {
      windows.length = 0
      this.#head = 0
    } else if (this.#head > 256) {
      windows.splice(0, this.#head)
      this.#head = 0
    }
  }
}
