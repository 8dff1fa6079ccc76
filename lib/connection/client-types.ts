import type { RedisClientType, RedisClusterType, RedisSentinelType } from '@redis/client'

/** A client users may pass in: a single node, a cluster or a sentinel-managed master, as @redis/client creates them. */
export type RedisClientLike = RedisClientType | RedisClusterType | RedisSentinelType

export type Topology = 'single' | 'cluster' | 'sentinel'

/** SET's options as @redis/client 6 spells them; PX keeps the contract's millisecond precision. */
export interface SetCommandOptions {
  expiration?: { type: 'PX', value: number }
  condition?: 'NX' | 'XX'
}

interface EvalCommandOptions {
  keys: string[]
  arguments: string[]
}

interface ScanReply {
  cursor: string
  keys: string[]
}

/** The commands fastify-codex sends: every topology's client fits, and lib/ stays free of @redis/client's generics. */
export interface CommandClient {
  get (key: string): Promise<string | null>
  set (key: string, value: string, options?: SetCommandOptions): Promise<string | null>
  mGet (keys: string[]): Promise<Array<string | null>>
  del (keys: string | string[]): Promise<number>
  unlink (keys: string | string[]): Promise<number>
  exists (keys: string | string[]): Promise<number>
  pExpire (key: string, ms: number): Promise<number>
  persist (key: string): Promise<number>
  pTTL (key: string): Promise<number>
  sCard (key: string): Promise<number>
  sMembers (key: string): Promise<string[]>
  sAdd (key: string, members: string | string[]): Promise<number>
  sRem (key: string, members: string | string[]): Promise<number>
  incr (key: string): Promise<number>
  zRange (key: string, min: number, max: number): Promise<string[]>
  zRem (key: string, members: string | string[]): Promise<number>
  zCard (key: string): Promise<number>
  publish (channel: string, message: string): Promise<number>
  sPublish (channel: string, message: string): Promise<number>
  evalSha (sha: string, options: EvalCommandOptions): Promise<unknown>
  eval (script: string, options: EvalCommandOptions): Promise<unknown>
  scan (cursor: string, options: { MATCH: string, COUNT: number }): Promise<ScanReply>
  ping (): Promise<string>
}

/** What the connection layer calls to manage a client's life ('node-*' events: a cluster's node clients). */
export interface ManagedClient {
  readonly isOpen: boolean
  connect (): Promise<unknown>
  close (): Promise<void>
  destroy (): unknown
  on (event: 'error' | 'node-error', listener: (err: Error) => void): unknown
  on (event: 'connect' | 'node-connect', listener: () => void): unknown
  off (event: 'error' | 'node-error', listener: (err: Error) => void): unknown
  off (event: 'connect', listener: () => void): unknown
  withCommandOptions (options: { timeout: number, abortSignal?: AbortSignal }): unknown
}

/** A cluster's masters, each reachable as a single-node client (SCAN is per node). */
export interface ClusterClient {
  readonly masters: readonly object[]
  nodeClient (node: object): Promise<unknown>
}
