import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel'
import type { Test } from 'tap'

/** One finished traced operation: its context as the `asyncEnd` (or `error`) subscriber saw it. */
export interface Traced {
  [field: string]: unknown
  error?: unknown
}

/** Records every operation of a TracingChannel (a copy of its context when it ended) until the test ends. */
export function recordTraces (t: Pick<Test, 'teardown'>, name: string): { ended: Traced[], started: number } {
  const record = { ended: [] as Traced[], started: 0 }
  const channel = tracingChannel<object, object>(name)
  const handlers = {
    start: () => { record.started++ },
    end: () => {},
    asyncStart: () => {},
    asyncEnd: (ctx: object) => { record.ended.push({ ...ctx }) },
    error: () => {}
  }
  channel.subscribe(handlers)
  t.teardown(() => { channel.unsubscribe(handlers) })
  return record
}

/** Records the messages of a plain channel until the test ends. */
export function recordMessages (t: Pick<Test, 'teardown'>, name: string): unknown[] {
  const messages: unknown[] = []
  const onMessage = (message: unknown): void => { messages.push(message) }
  subscribe(name, onMessage)
  t.teardown(() => { unsubscribe(name, onMessage) })
  return messages
}

/** Only the fields the contract names (drops `result`, always undefined, and `error`). */
export function fieldsOf (traced: Traced): Record<string, unknown> {
  const { result: _result, error: _error, ...rest } = traced
  return rest
}
