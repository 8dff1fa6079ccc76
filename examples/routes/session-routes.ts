import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { DeviceSession } from '../../index.js'

// What this app keeps in a session: declaring it types `request.session.get/set` and direct access.
declare module 'fastify' {
  interface Session {
    userId?: string
    loggedInAt?: string
  }
}

// @fastify/session's default cookieName, which the demo keeps.
const SESSION_COOKIE = 'sessionId'

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function page (request: FastifyRequest, devices: number): string {
  const userId = request.session.userId
  const body = userId === undefined
    ? `<h1>Log in</h1>
<form method="post" action="/login">
  <label>Name <input name="username" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Log in</button>
</form>
<p>Any name works; the password is <code>demo</code>.</p>`
    : `<h1 id="greeting">Hello, ${escape(userId)}</h1>
<p>Logged in since ${escape(request.session.loggedInAt ?? '?')} — <span id="devices">${devices}</span> active session(s). <a href="/me">/me</a></p>
<p><a id="devices-link" href="/devices">Active devices</a></p>
<form method="post" action="/logout"><button id="logout" type="submit">Log out</button></form>
<form method="post" action="/logout-everywhere"><button id="logout-everywhere" type="submit">Log out everywhere</button></form>`
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>fastify-codex demo</title></head><body>${body}</body></html>`
}

function devicesPage (devices: DeviceSession[]): string {
  const when = (ms: number | null): string => ms === null ? '?' : new Date(ms).toISOString()
  const rows = devices.map((d) => `<li class="device">${escape(d.userAgent ?? 'unknown browser')} — ${escape(d.ip ?? '?')},
  signed in ${when(d.createdAt)}, last seen ${when(d.lastSeenAt)}
  <form method="post" action="/devices/revoke"><input type="hidden" name="handle" value="${escape(d.handle)}"><button type="submit">Log out this device</button></form></li>`)
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Active devices</title></head><body>
<h1>Active devices</h1>
<ul id="devices">${rows.join('\n')}</ul>
<form method="post" action="/logout-others"><button id="logout-others" type="submit">Log out everywhere else</button></form>
<p><a href="/">Back</a></p></body></html>`
}

/** Login page, /me, the active devices page, logout and "log out everywhere", on codexSession with `userKey: 'userId'`. */
export async function sessionRoutes (app: FastifyInstance): Promise<void> {
  // HTML forms post urlencoded bodies; a one-line parser spares a dependency.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })

  app.get('/', async (request, reply) => {
    const userId = request.session.userId
    const devices = userId === undefined ? 0 : (await app.sessions.listUser(userId)).length
    return reply.type('text/html').send(page(request, devices))
  })

  app.post<{ Body: { username?: string, password?: string } }>('/login', async (request, reply) => {
    const { username, password } = request.body ?? {}
    if (username === undefined || username.trim() === '' || password !== 'demo') {
      return reply.code(401).type('text/html').send('<p>Wrong name or password. <a href="/">Back</a></p>')
    }
    // A new id at login: a session id planted before login is worthless afterwards.
    await request.session.regenerate()
    request.session.userId = username.trim()
    request.session.loggedInAt = new Date().toISOString()
    return reply.redirect('/', 303)
  })

  app.get('/me', async (request, reply) => {
    const userId = request.session.userId
    if (userId === undefined) return reply.code(401).send({ error: 'not logged in' })
    return { userId, loggedInAt: request.session.loggedInAt, sessions: (await app.sessions.listUser(userId)).length }
  })

  // destroy() deletes the session; the browser's cookie is ours to clear (@fastify/session leaves it).
  app.post('/logout', async (request, reply) => {
    await request.session.destroy()
    return reply.clearCookie(SESSION_COOKIE, { path: '/' }).redirect('/', 303)
  })

  // Each device by its handle: opaque, so the page never shows a session id.
  app.get('/devices', async (request, reply) => {
    const userId = request.session.userId
    if (userId === undefined) return reply.redirect('/', 303)
    return reply.type('text/html').send(devicesPage(await app.sessions.listUser(userId, { details: true })))
  })

  app.post<{ Body: { handle?: string } }>('/devices/revoke', async (request, reply) => {
    const userId = request.session.userId
    if (userId === undefined) return reply.redirect('/', 303)
    await app.sessions.revoke(userId, request.body?.handle ?? '')
    return reply.redirect('/devices', 303)
  })

  app.post('/logout-others', async (request, reply) => {
    const userId = request.session.userId
    if (userId !== undefined) await app.sessions.revokeUser(userId, { except: request.session.sessionId })
    return reply.redirect('/devices', 303)
  })

  app.post('/logout-everywhere', async (request, reply) => {
    const userId = request.session.userId
    if (userId !== undefined) await app.sessions.revokeUser(userId)
    // This request's session is among the revoked; destroying it stops @fastify/session re-sending its cookie.
    await request.session.destroy()
    return reply.clearCookie(SESSION_COOKIE, { path: '/' }).redirect('/', 303)
  })
}
