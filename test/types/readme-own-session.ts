// README "With your own @fastify/session", as pasted: compiled by `tsc --noEmit`.
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import { createClient } from '@redis/client'
import Fastify from 'fastify'
import { RedisSessionStore } from '../../index.js'

const app = Fastify({ logger: true })
const client = await createClient({ url: process.env.REDIS_URL }).connect()
const store = new RedisSessionStore({ client, userKey: 'userId', commandTimeout: 2000, logger: app.log })
await app.register(fastifyCookie)
await app.register(fastifySession, {
  secret: process.env.SESSION_SECRET!,   // 32+ characters
  store,
  saveUninitialized: false,              // a visitor who stores nothing gets no session and costs no write
  cookie: { secure: 'auto' }             // Secure over HTTPS; over plain HTTP (local development) the cookie still works
})
app.addHook('onClose', async () => { await client.close() })
// store.sessions: the same destroy / count / ids / all / clear / listUser / revokeUser
