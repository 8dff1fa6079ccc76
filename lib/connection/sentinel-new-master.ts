import { createRequire } from 'node:module'
import { RedisSentinel } from '@redis/client'

/** What `SENTINEL MASTER` reports about a node, as @redis/client parses it. */
interface NodeData {
  flags: string
  ip: string
  port: string | number
}

interface Observed {
  masterData: NodeData
}

type Analyze = (this: object, observed: unknown) => unknown

/** 'installed' (now or earlier in this process), or why the installed @redis/client is left as it is. */
export type NewMasterFixState = 'installed' | 'unsupported version' | 'unsupported shape' | 'not needed'

const MARK = Symbol.for('fastify-codex.sentinel-new-master')
// The @redis/client majors whose sentinel internals were read when this was written.
const SUPPORTED_MAJORS = new Set([6])

function isObserved (value: unknown): value is Observed {
  const data = (value as { masterData?: Partial<NodeData> } | null)?.masterData
  return typeof data?.flags === 'string' && typeof data.ip === 'string' && (typeof data.port === 'string' || typeof data.port === 'number')
}

/** What this client last saw Sentinel name as master, and whether it was let through while Sentinel had no link to it. */
export interface NamedMaster {
  address: string
  unlinked: boolean
}

/**
 * The observation to analyze: a master Sentinel flags only `disconnected` is passed as plain `master` when Sentinel
 * has just switched to it (its address differs from the one named before), and until Sentinel's own link to it is up.
 * A master that was linked and then flagged `disconnected` went away: left as is, so @redis/client refuses it and
 * commands fail at once.
 */
export function newMasterObservation (observed: unknown, previous: NamedMaster | undefined): { observed: unknown, named: NamedMaster | undefined } {
  if (!isObserved(observed)) return { observed, named: previous }
  const data = observed.masterData
  const address = `${data.ip}:${data.port}`
  const flags = data.flags.split(',')
  const unlinked = flags.length === 2 && flags.includes('master') && flags.includes('disconnected') &&
    (address !== previous?.address || previous.unlinked)
  if (!unlinked) return { observed, named: { address, unlinked } }
  return { observed: { ...observed, masterData: { ...data, flags: 'master' } }, named: { address, unlinked } }
}

function load (): { analyzeOwner: { analyze: Analyze }, refusesUnlinked: boolean } | NewMasterFixState {
  const require = createRequire(import.meta.url)
  const { version } = require('@redis/client/package.json') as { version: string }
  if (!SUPPORTED_MAJORS.has(Number(version.split('.')[0]))) return 'unsupported version'
  const sentinel = require('@redis/client/dist/lib/sentinel/index.js') as { default?: unknown, RedisSentinelInternal?: { prototype?: { analyze?: unknown } } }
  const utils = require('@redis/client/dist/lib/sentinel/utils.js') as { parseNode?: unknown }
  const proto = sentinel.RedisSentinelInternal?.prototype
  if ((proto?.analyze as { [MARK]?: true } | undefined)?.[MARK] === true) return 'installed'
  // Same module instance as the client we build, and analyze() still reads the master through parseNode.
  if (sentinel.default !== RedisSentinel || typeof proto?.analyze !== 'function' || typeof utils.parseNode !== 'function' ||
    !/parseNode\)\(observed\.masterData\)/.test(String(proto.analyze))) return 'unsupported shape'
  const refusesUnlinked = (utils.parseNode as (node: NodeData) => unknown)({ flags: 'master,disconnected', ip: '127.0.0.1', port: '1' }) === undefined
  return { analyzeOwner: proto as { analyze: Analyze }, refusesUnlinked }
}

/**
 * @redis/client refuses a master whose `SENTINEL MASTER` flags include `disconnected`, which Sentinel sets on the
 * master it has just switched to until its own link is up (~1 s later); this lets it connect at once. Process-wide
 * (it wraps RedisSentinelInternal.prototype.analyze), idempotent, and skipped if the internals differ.
 */
export function installSentinelNewMasterFix (): NewMasterFixState {
  let found: ReturnType<typeof load>
  try {
    found = load()
  } catch {
    return 'unsupported shape'
  }
  if (typeof found === 'string') return found
  const { analyzeOwner } = found
  if (!found.refusesUnlinked) return 'not needed'
  const original = analyzeOwner.analyze
  // Per sentinel instance (analyze's `this`): the master Sentinel named last time.
  const named = new WeakMap<object, NamedMaster | undefined>()
  const analyze = function (this: object, observed: unknown): unknown {
    const next = newMasterObservation(observed, named.get(this))
    named.set(this, next.named)
    return original.call(this, next.observed)
  }
  analyzeOwner.analyze = Object.assign(analyze, { [MARK]: true as const })
  return 'installed'
}
