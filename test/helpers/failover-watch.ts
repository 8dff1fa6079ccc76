import net from 'node:net'
import type { RedisServer } from './redis-server.js'

/** Wall-clock milliseconds with sub-millisecond precision: comparable with MONITOR's server timestamps. */
export function wallNow (): number {
  return performance.timeOrigin + performance.now()
}

const TOKEN = /fo-([a-z]\d+-\d+)-fo/g

/** Marks a written value so MONITOR lines can be traced back to the write that carried it. */
export function token (id: string): string {
  return `fo-${id}-fo`
}

/**
 * One raw RESP connection kept open: reconnects (every 20 ms) when the server closes it, as Sentinel does to
 * every normal client of the replica it promotes, until `close()`.
 */
class Link {
  #socket: net.Socket | undefined
  #closed = false
  #timer: NodeJS.Timeout | undefined

  constructor (readonly port: number, readonly hello: string, readonly onData: (text: string) => void) {
    this.#open()
  }

  write (text: string): void {
    if (this.#socket?.readyState === 'open') this.#socket.write(text)
  }

  #open (): void {
    if (this.#closed) return
    const socket = net.connect({ host: '127.0.0.1', port: this.port })
    this.#socket = socket
    socket.setEncoding('utf8')
    socket.on('connect', () => socket.write(this.hello))
    socket.on('data', (text: string) => this.onData(text))
    socket.on('error', () => {})
    socket.on('close', () => {
      if (!this.#closed) this.#timer = setTimeout(() => this.#open(), 20)
    })
  }

  close (): void {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#socket?.destroy()
  }
}

/**
 * When each traced value was first executed by a Redis server for a client, from MONITOR on every data node
 * (a replica's MONITOR does not show the replication stream, so each value is seen where a client sent it).
 */
export class LandingLog {
  /** token id → server wall-clock ms of its first execution. */
  readonly firstSeen = new Map<string, number>()
  readonly #links: Link[]

  constructor (servers: RedisServer[]) {
    this.#links = servers.map((server) => {
      let partial = ''
      return new Link(server.port, '*1\r\n$7\r\nMONITOR\r\n', (text) => {
        const lines = (partial + text).split('\r\n')
        partial = lines.pop() ?? ''
        for (const line of lines) this.#record(line)
      })
    })
  }

  #record (line: string): void {
    if (!line.startsWith('+') || line === '+OK') return
    const at = Number.parseFloat(line.slice(1)) * 1000
    for (const match of line.matchAll(TOKEN)) {
      const id = match[1]!
      const seen = this.firstSeen.get(id)
      if (seen === undefined || at < seen) this.firstSeen.set(id, at)
    }
  }

  close (): void {
    for (const link of this.#links) link.close()
  }
}

/** Polls ROLE every `everyMs` and records (wall ms) when the server first answers as a master. */
export class PromotionWatch {
  promotedAt: number | undefined
  readonly #link: Link
  readonly #timer: NodeJS.Timeout
  #sentAt = 0

  constructor (server: RedisServer, everyMs = 10) {
    this.#link = new Link(server.port, '', (text) => {
      if (this.promotedAt === undefined && text.includes('$6\r\nmaster')) this.promotedAt = this.#sentAt
    })
    this.#timer = setInterval(() => {
      if (this.promotedAt !== undefined) return
      this.#sentAt = wallNow()
      this.#link.write('ROLE\r\n')
    }, everyMs)
  }

  close (): void {
    clearInterval(this.#timer)
    this.#link.close()
  }
}

/** Records (wall ms) the first `+switch-master` any of the sentinels publishes, and each sentinel's first. */
export class SwitchMasterWatch {
  switchedAt: number | undefined
  /** Per sentinel, in the order given: when it published `+switch-master` (a sentinel that did not lead the failover learns it later). */
  readonly each: Array<number | undefined>
  readonly #links: Link[]

  constructor (sentinels: RedisServer[]) {
    this.each = sentinels.map(() => undefined)
    this.#links = sentinels.map((sentinel, i) => new Link(sentinel.port, 'SUBSCRIBE +switch-master\r\n', (text) => {
      if (!text.includes('message\r\n')) return
      const now = wallNow()
      this.switchedAt ??= now
      this.each[i] ??= now
    }))
  }

  close (): void {
    for (const link of this.#links) link.close()
  }
}
