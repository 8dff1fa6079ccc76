import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { redisForTest, type RedisServer } from '../helpers/redis-server.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))
// The process must end by itself; without the fixes it never would (the safety net kills it after 15 s). @redis/client
// may finish a reconnect pause (up to ~2.2 s) first, and a loaded machine adds its own delay: bounds that hold there.
const EXIT_WITHIN_MS = 6000
// Long enough that a command or a connect on a loaded 2-core machine does not time out by itself.
const COMMAND_TIMEOUT = 1000

/**
 * Source that sets `app` to a Fastify with codexRedis connected. Start-up is not under test: a child on a loaded
 * machine can outlast a short commandTimeout while connecting, so a failed connect is retried (not a time budget).
 */
function connectApp (commandTimeout: number): string {
  return `
    let app
    for (let attempt = 1; ; attempt++) {
      app = Fastify()
      try {
        await app.register(codexRedis, { url: process.env.REDIS_URL, commandTimeout: ${commandTimeout} })
        break
      } catch (err) {
        await app.close()
        if (attempt >= 20 || err.code !== 'FST_CODEX_REDIS_UNAVAILABLE') throw err
      }
    }
  `
}

/**
 * A real app in a child process: codexRedis + codexCache, one command, then `breakRedis`, then app.close().
 * It never calls process.exit: it must end by itself once Fastify is closed.
 */
function script (breakRedis: string): string {
  return `
    import Fastify from 'fastify'
    import { codexCache, codexRedis } from ${JSON.stringify(`${root}index.ts`)}
    const redisPid = Number(process.env.REDIS_PID)
    ${connectApp(COMMAND_TIMEOUT)}
    await app.register(codexCache, { keyPrefix: 'exit' })
    await app.cache.set('k', 'v')
    console.log('got ' + await app.cache.get('k'))
    ${breakRedis}
    await app.close()
    console.log('closed')
  `
}

interface ChildRun { code: number | null, output: string, exitAfterCloseMs: number }

async function runChild (t: Test, redis: RedisServer, source: string): Promise<ChildRun> {
  const child = spawn(tsx, ['--input-type=module', '--eval', source], {
    cwd: root,
    env: { ...process.env, REDIS_URL: redis.url, REDIS_PID: String(redis.pid) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  let closedAt: number | undefined
  const started = performance.now()
  child.stdout.on('data', (chunk: Buffer) => {
    output += `[${(performance.now() - started).toFixed(0)} ms] ${chunk.toString()}`
    if (closedAt === undefined && output.includes('closed')) closedAt = performance.now()
  })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  // Only a safety net for a broken build (the assertions below expect an exit within seconds of close): a child
  // compiling the package with tsx on a loaded 2-core machine can take 10 s or more to get there.
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000)
  t.teardown(() => { clearTimeout(killer) })
  const code = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  clearTimeout(killer)
  return { code, output, exitAfterCloseMs: closedAt === undefined ? Infinity : performance.now() - closedAt }
}

// Five children, each slow to start on a loaded machine.
t.setTimeout(600_000)

async function ourConnections (redis: RedisServer): Promise<number> {
  const list = await redis.cli('CLIENT', 'LIST')
  return list.split('\n').filter((line) => line.startsWith('id=') && !line.includes('cmd=client|list')).length
}

t.test('after app.close() the process exits on its own', async (t) => {
  const redis = await redisForTest(t)
  const run = await runChild(t, redis, script(''))
  t.equal(run.code, 0, run.output)
  t.match(run.output, 'got v')
  t.ok(run.exitAfterCloseMs < EXIT_WITHIN_MS, `exited ${run.exitAfterCloseMs.toFixed(0)} ms after close`)
  t.equal(await ourConnections(redis), 0, 'no connection left on the server')
})

t.test('closing while Redis is down (reconnecting) still lets the process exit', async (t) => {
  const redis = await redisForTest(t)
  const run = await runChild(t, redis, script(`
    process.kill(redisPid, 'SIGKILL')
    // Wait until the client has noticed and is retrying.
    while (await app.cache.get('k').then(() => true, (err) => err.code !== 'FST_CODEX_REDIS_UNAVAILABLE')) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  `))
  t.equal(run.code, 0, run.output)
  // @redis/client finishes its current reconnect pause (at most ~2.2 s) before it sees it was closed.
  t.ok(run.exitAfterCloseMs < EXIT_WITHIN_MS, `exited ${run.exitAfterCloseMs.toFixed(0)} ms after close`)
})

t.test('closing with a command stuck on a hung Redis gives up after commandTimeout and exits', async (t) => {
  const redis = await redisForTest(t)
  t.teardown(() => redis.resume())
  const run = await runChild(t, redis, script(`
    process.kill(redisPid, 'SIGSTOP')
    const stuck = app.cache.get('k').catch((err) => console.log('stuck command: ' + err.code))
    const started = Date.now()
    await Promise.all([app.close(), stuck])
    console.log('close took ' + (Date.now() - started) + ' ms')
  `))
  redis.resume()
  t.equal(run.code, 0, run.output)
  t.match(run.output, 'stuck command: FST_CODEX_REDIS_UNAVAILABLE')
  const closeMs = Number(/close took (\d+) ms/.exec(run.output)?.[1])
  // Not hanging is the point (a graceful close would wait for the hung server forever): the bound holds under load.
  t.ok(closeMs < COMMAND_TIMEOUT + 2500, `close gave up after ${closeMs} ms (commandTimeout ${COMMAND_TIMEOUT})`)
  t.ok(run.exitAfterCloseMs < EXIT_WITHIN_MS, `exited ${run.exitAfterCloseMs.toFixed(0)} ms after close`)
})

t.test('with a near cache and a getOrSet waiter, app.close() closes every connection the cache opened and the process exits', async (t) => {
  const redis = await redisForTest(t)
  const source = `
    import Fastify from 'fastify'
    import { codexCache, codexRedis } from ${JSON.stringify(`${root}index.ts`)}
    ${connectApp(2000)}
    await app.register(codexCache, { keyPrefix: 'exit', nearCache: { maxEntries: 100 } })
    await app.cache.set('k', 'v')
    console.log('got ' + await app.cache.get('k') + ' ' + await app.cache.get('k'))
    // Another process holds the computation of 'w': this caller waits on the announcement channel (subscriber open).
    await app.codexRedis.set(app.cache.makeKey('x').replace(/x$/, '').replace(/:1:$/, ':~codex:compute:') + app.cache.makeKey('w'), 'elsewhere', { PX: 10000 })
    const waiting = app.cache.getOrSet('w', () => 'computed', { lockTimeout: 400 })
    await new Promise((resolve) => setTimeout(resolve, 150))
    console.log('waited ' + await waiting)
    const list = String(await app.codexRedis.sendCommand(['CLIENT', 'LIST']))
    console.log('connections ' + list.split('\\n').filter((line) => line.startsWith('id=')).length)
    await app.close()
    console.log('closed')
  `
  const run = await runChild(t, redis, source)
  t.equal(run.code, 0, run.output)
  t.match(run.output, 'got v v')
  t.match(run.output, 'waited computed')
  t.match(run.output, /connections [3-9]/, 'the client, the tracking twin and the subscriber were open')
  t.ok(run.exitAfterCloseMs < EXIT_WITHIN_MS, `exited ${run.exitAfterCloseMs.toFixed(0)} ms after close`)
  t.equal(await ourConnections(redis), 0, 'no connection left on the server')
})

t.test('a near cache whose tracking connection could not be opened (hung Redis) still lets the process exit after app.close()', async (t) => {
  const redis = await redisForTest(t)
  t.teardown(() => redis.resume())
  const source = `
    import Fastify from 'fastify'
    import { codexCache, codexRedis } from ${JSON.stringify(`${root}index.ts`)}
    const redisPid = Number(process.env.REDIS_PID)
    ${connectApp(1000)}
    process.kill(redisPid, 'SIGSTOP')
    await app.register(codexCache, { keyPrefix: 'exit', nearCache: { maxEntries: 100 } })
    console.log('registered')
    // Long enough for a retry of the tracking connection; the server answers again before close.
    await new Promise((resolve) => setTimeout(resolve, 2600))
    process.kill(redisPid, 'SIGCONT')
    await app.cache.set('k', 'v')
    console.log('got ' + await app.cache.get('k'))
    await app.close()
    console.log('closed')
  `
  const run = await runChild(t, redis, source)
  redis.resume()
  t.equal(run.code, 0, run.output)
  t.match(run.output, 'got v')
  t.ok(run.exitAfterCloseMs < EXIT_WITHIN_MS, `exited ${run.exitAfterCloseMs.toFixed(0)} ms after close`)
  t.equal(await ourConnections(redis), 0, 'no connection left on the server')
})
