import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser, type Page } from 'playwright-core'
import t from 'tap'
import { buildApp } from '../../examples/app.js'
import { redisForTest } from '../helpers/redis-server.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// Headless Chromium as root, with no network beyond loopback: no sandbox, no background fetches.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

// A cold Chromium start on a busy 2-core machine can take tens of seconds.
t.setTimeout(180_000)

// CI installs Chromium (.ci/run), so there a missing browser fails instead of skipping.
const skip = !existsSync(CHROMIUM) && process.env.CI === undefined
  ? `needs Chromium at ${CHROMIUM}: apt-get install -y chromium`
  : false

t.test('a real browser logs in, stays logged in, logs out, and is logged out everywhere', { skip }, async t => {
  const redis = await redisForTest(t)
  const app = await buildApp(redis.url)
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  t.teardown(() => browser.close())

  async function logIn (name: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage()
    await page.goto(base + '/')
    await page.fill('input[name=username]', name)
    await page.fill('input[name=password]', 'demo')
    await page.click('button[type=submit]')
    await page.waitForSelector('#greeting')
    return page
  }

  const solo = await logIn('bob')
  t.equal(await solo.textContent('#greeting'), 'Hello, bob')
  await solo.reload()
  t.equal(await solo.textContent('#greeting'), 'Hello, bob', 'still logged in after a reload')
  const me = await solo.goto(base + '/me')
  t.equal((await me?.json())?.userId, 'bob', '/me knows the user')
  await solo.goto(base + '/')
  await solo.click('#logout')
  await solo.waitForSelector('input[name=username]')
  t.notOk((await solo.context().cookies()).some(c => c.name === 'sessionId'), 'the browser holds no session cookie')
  await solo.goto(base + '/me')
  t.match(await solo.textContent('body'), /not logged in/, 'logged out')

  const laptop = await logIn('alice')
  const phone = await logIn('alice')
  await laptop.reload()
  t.equal(await laptop.textContent('#devices'), '2', 'two devices logged in')
  await phone.click('#logout-everywhere')
  await phone.waitForSelector('input[name=username]')
  await laptop.reload()
  t.ok(await laptop.isVisible('input[name=username]'), 'the other device is logged out too')
  t.same(await app.sessions.listUser('alice'), [], 'no session of alice is left')
})
