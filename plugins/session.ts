import fp from 'fastify-plugin'
import fastifyCookie from '@fastify/cookie'
import fastifySession, { type FastifySessionOptions } from '@fastify/session'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { ConnectionOptions } from '../lib/connection/options.js'
import { InvalidOptionsError } from '../lib/errors.js'
import { rejectUnknownOptions } from '../lib/known-options.js'
import { SESSION_COOKIE_NAME } from '../lib/route-cache/credentials.js'
import type { SessionAdmin } from '../lib/session/admin.js'
import { checkCookieOptions } from '../lib/session/cookie-options.js'
import { SESSION_STORE_OPTION_NAMES, resolveSessionOptions, type SessionStoreOptions } from '../lib/session/options.js'
import { checkSecrets, sessionSigner, type CookieSigner } from '../lib/session/signer.js'
import { sealFailure } from '../lib/session/state.js'
import { RedisSessionStore } from '../lib/session/store.js'
import { acquireConnection, targetOf } from './connection.js'
import { claimNamespace } from './namespaces.js'
import { keepRotatedSessions } from './session-rotation.js'

export interface CodexSessionOptions extends ConnectionOptions, Omit<SessionStoreOptions, 'logger'>, Omit<FastifySessionOptions, 'store'> {}

/** codexSession's cookie name unless `cookieName` is given (the name @fastify/session documents). */
const DEFAULT_COOKIE_NAME = 'sessionId'

declare module 'fastify' {
  interface FastifyInstance {
    /** Sessions by id and by user, registered by codexSession. */
    sessions: SessionAdmin
  }
}

// Connection options (all three plugins), the store's, and @fastify/session's documented options.
const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'url', 'client', 'closeClient', 'cluster', 'sentinel', 'commandTimeout',
  ...SESSION_STORE_OPTION_NAMES.filter((name) => name !== 'logger'),
  'secret', 'algorithm', 'cookieName', 'cookie', 'store', 'saveUninitialized', 'rolling', 'idGenerator', 'cookiePrefix'
])

// What @fastify/session reads with `||` (an empty string silently means its default) or trusts unchecked.
function checkSessionOptions (options: Record<string, unknown>): void {
  const { algorithm, cookieName, cookiePrefix, rolling, saveUninitialized, idGenerator } = options
  for (const [name, value] of Object.entries({ algorithm, cookieName })) {
    if (value !== undefined && (typeof value !== 'string' || value === '')) throw new InvalidOptionsError(`${name} must be a non-empty string`)
  }
  if (cookiePrefix !== undefined && typeof cookiePrefix !== 'string') throw new InvalidOptionsError('cookiePrefix must be a string')
  for (const [name, value] of Object.entries({ rolling, saveUninitialized })) {
    if (value !== undefined && typeof value !== 'boolean') throw new InvalidOptionsError(`${name} must be a boolean`)
  }
  if (idGenerator !== undefined && typeof idGenerator !== 'function') throw new InvalidOptionsError('idGenerator must be a function')
}

// A signer object instead of secrets: @fastify/session calls its sign and unsign.
function checkSecret (secret: unknown): void {
  if (typeof secret === 'string' || Array.isArray(secret)) return checkSecrets(secret)
  const signer = secret as { sign?: unknown, unsign?: unknown } | null | undefined
  if (typeof signer?.sign !== 'function' || typeof signer.unsign !== 'function') {
    throw new InvalidOptionsError('secret is required: a string of 32+ characters, an array of them, or a signer')
  }
}

// A secret becomes @fastify/cookie's Signer (its own default algorithm), wrapped so a returning cookie costs no HMAC.
function signerFor (secret: CodexSessionOptions['secret'], algorithm: string | undefined): CookieSigner {
  return typeof secret === 'string' || Array.isArray(secret) ? sessionSigner(secret, algorithm) : secret
}

const plugin: FastifyPluginAsync<CodexSessionOptions> = async (fastify, options) => {
  // Options are checked before any connection is opened: bad options never leave a socket behind.
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'codexSession')
  if ((options as { store?: unknown }).store !== undefined) {
    throw new InvalidOptionsError('codexSession brings its own store; register @fastify/session yourself to use another')
  }
  // fastify-plugin puts our decorators in the parent scope: a second registration would throw outside register().
  if (fastify.hasDecorator('sessions') || fastify.hasRequestDecorator('session')) {
    throw new InvalidOptionsError('a session plugin is already registered in this scope: register codexSession once per scope')
  }
  const {
    url, client, closeClient, cluster, sentinel, commandTimeout,
    projectName, keyPrefix, ttl, serializer, userKey, disableTouch, absoluteTimeout, devices,
    ...sessionOptions
  } = options
  // A visitor who stores nothing costs no Redis write.
  const saveUninitialized = sessionOptions.saveUninitialized ?? false
  // Passed to @fastify/session explicitly, so the rotation hook reads the very cookie it sets.
  const cookieName = sessionOptions.cookieName ?? DEFAULT_COOKIE_NAME
  const cookiePrefix = sessionOptions.cookiePrefix ?? ''
  const storeOptions = { projectName, keyPrefix, ttl, serializer, userKey, disableTouch, absoluteTimeout, devices, logger: fastify.log }
  checkSecret(sessionOptions.secret)
  checkSessionOptions(sessionOptions as Record<string, unknown>)
  const { prefix, devices: recorded } = resolveSessionOptions(storeOptions)
  if (!fastify.hasPlugin('@fastify/cookie')) await fastify.register(fastifyCookie)
  checkCookieOptions(sessionOptions.cookie, cookieName, fastify.serializeCookie)
  const { secret, algorithm } = sessionOptions
  const signer = signerFor(secret, algorithm)

  const connectionOptions = { url, client, closeClient, cluster, sentinel, commandTimeout }
  // With both segments empty, sessions are bare ids (no ':'), but the per-user index still sits under `user:`.
  const claimed = prefix === '' && userKey !== undefined ? 'user' : prefix
  claimNamespace(fastify, targetOf(fastify, connectionOptions), {
    prefix: claimed,
    owner: `codexSession (projectName '${projectName ?? ''}', keyPrefix '${keyPrefix ?? 'session'}')`,
    shareable: false
  })
  const connection = await acquireConnection(fastify, connectionOptions, 'codexSession')
  // Failures are sealed by the onError hook below, so a handler that catches a failed save may retry it.
  const store = new RedisSessionStore({ ...storeOptions, client: connection }, { sealedOnError: true })
  // Only a list of secrets (or a signer of yours) can verify with an older one; a single secret costs no hook.
  if (!saveUninitialized && typeof secret !== 'string' && (!Array.isArray(secret) || secret.length > 1)) {
    keepRotatedSessions(fastify, { signer, cookieName, cookiePrefix })
  }
  if (recorded !== undefined) {
    // The store sees sessions, not requests: the device is noted on the Session @fastify/session saves next, in onSend
    // before its own (a session regenerated by the handler included).
    fastify.addHook('onSend', async (request) => { store.noteRequest(request.session, request) })
  }
  warnInsecureCookie(fastify, sessionOptions.cookie?.secure)
  await fastify.register(fastifySession, {
    ...sessionOptions,
    secret: signer,
    cookieName,
    cookiePrefix,
    saveUninitialized,
    store
  })
  // The reply is an error now: the save @fastify/session makes in its onSend must not write a session whose save
  // already failed (Redis may be back, but the client is being told it was not saved).
  fastify.addHook('onError', (request, _reply, _error, done) => {
    sealFailure(request.session)
    done()
  })
  fastify.decorate('sessions', store.sessions)
  // Cached routes bypass requests that carry this cookie.
  fastify.decorate(SESSION_COOKIE_NAME, cookieName)
}

// A Secure cookie (@fastify/session's default) is never stored by a browser talking plain HTTP: say so once. An
// explicit `secure: true` is a choice (a TLS proxy in front, which Fastify's initialConfig does not show): no warning.
function warnInsecureCookie (fastify: FastifyInstance, secure: boolean | 'auto' | undefined): void {
  if (secure !== undefined || Boolean(fastify.initialConfig.https)) return
  fastify.log.warn("codexSession: the session cookie is Secure by default but this server speaks plain HTTP: browsers will not store it. Pass cookie: { secure: 'auto' } (Secure over HTTPS only), cookie: { secure: true } behind a TLS proxy, or secure: false for local development")
}

export const codexSession = fp(plugin, { fastify: '5.x', name: 'fastify-codex-session' })
