import fp from 'fastify-plugin'
import fastifyCookie, { Signer } from '@fastify/cookie'
import fastifySession, { type FastifySessionOptions } from '@fastify/session'
import type { FastifyPluginAsync } from 'fastify'
import type { ConnectionOptions } from '../lib/connection/options.js'
import { InvalidOptionsError } from '../lib/errors.js'
import type { SessionAdmin } from '../lib/session/admin.js'
import { resolveSessionOptions, type SessionStoreOptions } from '../lib/session/options.js'
import { RememberingSigner } from '../lib/session/signer.js'
import { sealFailure } from '../lib/session/state.js'
import { RedisSessionStore } from '../lib/session/store.js'
import { acquireConnection, targetOf } from './connection.js'
import { claimNamespace } from './namespaces.js'
import { keepRotatedSessions } from './session-rotation.js'

export interface CodexSessionOptions extends ConnectionOptions, Omit<SessionStoreOptions, 'logger' | 'saveUninitialized'>, Omit<FastifySessionOptions, 'store'> {}

declare module 'fastify' {
  interface FastifyInstance {
    /** Sessions by id and by user, registered by codexSession. */
    sessions: SessionAdmin
  }
}

// @fastify/session's own check, made at registration with our code instead of a plain Error.
function checkSecret (secret: unknown): void {
  if (typeof secret === 'string') {
    if (secret.length < 32) throw new InvalidOptionsError('secret must be at least 32 characters long')
    return
  }
  if (Array.isArray(secret)) {
    if (secret.length === 0 || !secret.every((s) => typeof s === 'string' && s !== '')) {
      throw new InvalidOptionsError('secret must list at least one non-empty string')
    }
    return
  }
  const signer = secret as { sign?: unknown, unsign?: unknown } | null | undefined
  if (typeof signer?.sign !== 'function' || typeof signer.unsign !== 'function') {
    throw new InvalidOptionsError('secret is required: a string of 32+ characters, an array of them, or a signer')
  }
}

const plugin: FastifyPluginAsync<CodexSessionOptions> = async (fastify, options) => {
  const {
    url, client, closeClient, cluster, sentinel, commandTimeout,
    projectName, keyPrefix, ttl, serializer, userKey, disableTouch,
    ...sessionOptions
  } = options
  // A visitor who stores nothing costs no Redis write.
  const saveUninitialized = sessionOptions.saveUninitialized ?? false
  const storeOptions = { projectName, keyPrefix, ttl, serializer, userKey, disableTouch, logger: fastify.log }
  // Options are checked before any connection is opened: bad options never leave a socket behind.
  checkSecret(sessionOptions.secret)
  if ((sessionOptions as { store?: unknown }).store !== undefined) {
    throw new InvalidOptionsError('codexSession brings its own store; register @fastify/session yourself to use another')
  }
  const { prefix } = resolveSessionOptions(storeOptions)

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
  if (!fastify.hasPlugin('@fastify/cookie')) await fastify.register(fastifyCookie)
  // A secret becomes @fastify/cookie's Signer, as @fastify/session would make it, wrapped so a returning cookie costs no HMAC.
  const { secret, algorithm } = sessionOptions
  // `||`, as @fastify/session reads these options: an empty algorithm or cookie name means its default.
  const signer = typeof secret === 'string' || Array.isArray(secret) ? new RememberingSigner(new Signer(secret, algorithm || 'sha256')) : secret
  // Only a list of secrets (or a signer of yours) can verify with an older one; a single secret costs no hook.
  if (!saveUninitialized && typeof secret !== 'string' && (!Array.isArray(secret) || secret.length > 1)) {
    keepRotatedSessions(fastify, {
      signer,
      cookieName: sessionOptions.cookieName || 'sessionId',
      cookiePrefix: sessionOptions.cookiePrefix || '',
      rolling: sessionOptions.rolling ?? true
    })
  }
  await fastify.register(fastifySession, {
    ...sessionOptions,
    secret: signer,
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
}

export const codexSession = fp(plugin, { fastify: '5.x', name: 'fastify-codex-session' })
