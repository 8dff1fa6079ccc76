// The packed tarball in a fresh strict TypeScript app, on the oldest and the newest versions of our peer ranges:
// every ```ts block of README.md and docs/*.md compiles as pasted, the main ones run against a throwaway redis-server
// and do what the docs say, and CommonJS `require` behaves as the README's Install section promises.
// Needs the npm registry and redis-server. Run: npm run test:packed (KEEP=1 keeps the temp dir).
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startRedis } from '../helpers/redis-server.js'
import { allSnippets, toModule } from './snippets.js'

const root = new URL('../../', import.meta.url).pathname
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>
  devDependencies: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
}
// Optional peers (@opentelemetry/api, for fastify-codex/otel): installed for the snippets, then removed to show
// that an app without them runs.
const optionalPeers = Object.keys(pkg.peerDependenciesMeta ?? {}).filter((name) => pkg.peerDependenciesMeta?.[name]?.optional === true)
const tsVersion = (JSON.parse(readFileSync(join(root, 'node_modules/typescript/package.json'), 'utf8')) as { version: string }).version

// No step may hang CI: a registry stall is cut at the deadline (a stop once waited 85 min in `npm install`).
const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 5 * 60_000): string =>
  execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: timeoutMs, killSignal: 'SIGKILL' })
const step = (text: string): void => { console.log(`\n==> ${text}`) }

/** npm install into the fresh app, tried twice: a stalled registry fetch must fail the step, not hang CI. */
function npmInstall (specs: string[], cwd: string): void {
  // --prefer-offline reuses the metadata the first variant fetched minutes ago; fetch-timeout cuts one stalled request.
  const args = ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', '--fetch-timeout=60000', '--fetch-retries=1', ...specs]
  for (let attempt = 1; ; attempt++) {
    try {
      run('npm', args, cwd)
      return
    } catch (err) {
      if (attempt === 2) throw new Error(`npm install failed ${attempt} times`, { cause: err })
      console.log(`  npm install failed (${(err as Error).message.split('\n')[0] ?? ''}); trying again from scratch`)
      // A killed install can leave half-extracted packages that the next one would take as installed.
      rmSync(join(cwd, 'node_modules'), { recursive: true, force: true })
      rmSync(join(cwd, 'package-lock.json'), { force: true })
    }
  }
}

/** `^5.2.0` → `5.2.0`: the lowest version a range admits (we declare only caret ranges). */
function oldest (range: string): string {
  const m = /^\^(\d+\.\d+\.\d+)$/.exec(range)
  if (m?.[1] === undefined) throw new Error(`peer range ${range}: declare a caret range (^x.y.z) or teach check-packed.ts another`)
  return m[1]
}

const tmp = mkdtempSync(join(tmpdir(), 'fastify-codex-packed-'))
const redis = await startRedis({ unixSocket: true })
try {
  step('npm pack (prepack builds dist/)')
  run('npm', ['pack', '--pack-destination', tmp, '--silent'], root)
  const tarball = join(tmp, readdirSync(tmp).find(f => f.endsWith('.tgz')) ?? '')
  const files = run('tar', ['-tzf', tarball], tmp).split('\n').filter(f => f !== '')
  for (const needed of ['package/LICENSE', 'package/README.md', 'package/docs/api.md', 'package/dist/index.js', 'package/dist/index.d.ts']) {
    if (!files.includes(needed)) throw new Error(`the tarball lacks ${needed}`)
  }
  const stray = files.filter(f => /^package\/(lib|plugins|test|bench|examples)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')))
  if (stray.length > 0) throw new Error(`the tarball ships sources it should not: ${stray.join(', ')}`)
  run('tar', ['-xzf', tarball, '-C', tmp, 'package/dist/index.js.map'], tmp)
  const map = JSON.parse(readFileSync(join(tmp, 'package/dist/index.js.map'), 'utf8')) as { sourcesContent?: unknown[] }
  if (!Array.isArray(map.sourcesContent) || map.sourcesContent.length === 0) throw new Error('source maps carry no sourcesContent')
  console.log(`  ${tarball.split('/').pop() ?? ''}: ${files.length} files, LICENSE, source maps with their sources`)

  const snippets = allSnippets(root)
  const peers = Object.entries(pkg.peerDependencies)
  const variants = {
    oldest: peers.map(([name, range]) => `${name}@${oldest(range)}`),
    newest: peers.map(([name, range]) => `${name}@${range}`)
  }
  for (const [variant, specs] of Object.entries(variants)) {
    const app = join(tmp, variant)
    step(`fresh app, ${variant} peers: ${specs.join(' ')}`)
    mkdirSync(join(app, 'snippets'), { recursive: true })
    cpSync(new URL('./app/', import.meta.url).pathname, app, { recursive: true })
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: `fresh-app-${variant}`, private: true, type: 'module' }, null, 2))
    // A snippet that sets FastifyCodexTypes changes every file of its program (module augmentation is global): alone.
    const alone = snippets.filter(s => s.source.includes('interface FastifyCodexTypes'))
    mkdirSync(join(app, 'alone'), { recursive: true })
    for (const s of snippets) writeFileSync(join(app, alone.includes(s) ? 'alone' : 'snippets', s.file), toModule(s))
    writeFileSync(join(app, 'snippets.json'), JSON.stringify(snippets, null, 2))
    npmInstall([tarball, ...specs, `typescript@${tsVersion}`, `@types/node@${pkg.devDependencies['@types/node'] ?? '20'}`], app)
    console.log(run('npm', ['ls', '--depth=0'], app).split('\n').filter(l => l.includes('@')).slice(1).join('\n'))

    step(`tsc (strict) of ${snippets.length} snippets of README.md and docs/*.md against the installed package`)
    try {
      run(join(app, 'node_modules/.bin/tsc'), ['-p', '.'], app)
      for (const s of alone) {
        const config = `tsconfig.${s.file}.json`
        writeFileSync(join(app, config), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: true }, include: ['globals.d.ts', `alone/${s.file}`] }))
        run(join(app, 'node_modules/.bin/tsc'), ['-p', config], app)
      }
    } catch (err) {
      if ((err as { code?: string }).code === 'ETIMEDOUT') throw new Error('tsc of the doc snippets hit its deadline', { cause: err })
      console.log((err as { stdout?: string }).stdout ?? '')
      throw new Error(`doc snippets do not compile with the ${variant} peers (files under ${app}/snippets, KEEP=1 keeps them)`)
    }

    step('the main doc snippets run against a throwaway redis-server')
    await redis.cli('FLUSHALL')   // each variant starts from an empty Redis, as a new app would
    run(process.execPath, ['out/harness.js'], app, { ...process.env, REDIS_URL: redis.url, SESSION_SECRET: 'a secret of at least thirty-two characters', LOG_LEVEL: 'warn' })
      .split('\n').forEach(l => { if (l.startsWith('  ')) console.log(l) })

    step('CommonJS require(\'fastify-codex\')')
    const outcome = run(process.execPath, ['-e', `
      try { const m = require('fastify-codex'); console.log(typeof m.codexCache === 'function' ? 'loaded' : 'broken') }
      catch (err) { console.log(err.code) }`], app).trim()
    const expected = process.features.require_module === true ? 'loaded' : 'ERR_REQUIRE_ESM'
    if (outcome !== expected) throw new Error(`require('fastify-codex') on Node ${process.version}: ${outcome}, README promises ${expected}`)
    console.log(`  Node ${process.version}: ${outcome}, as the README says`)

    step(`without the optional peers (${optionalPeers.join(', ')}): the main entry runs, fastify-codex/otel names what is missing`)
    for (const name of optionalPeers) rmSync(join(app, 'node_modules', name), { recursive: true, force: true })
    const without = run(process.execPath, ['--input-type=module', '-e', `
      const main = await import('fastify-codex')
      let otel
      try { await import('fastify-codex/otel'); otel = 'loaded' } catch (err) { otel = err.code + ' ' + err.message }
      console.log(typeof main.codexCache + ' | ' + otel)`], app).trim()
    if (!without.startsWith('function | ERR_MODULE_NOT_FOUND') || !optionalPeers.every((name) => without.includes(name))) {
      throw new Error(`without ${optionalPeers.join(', ')}: ${without}`)
    }
    console.log('  the main entry loads; fastify-codex/otel fails with ERR_MODULE_NOT_FOUND for the missing peer')
  }
  console.log('\npacked tarball: OK')
} finally {
  await redis.stop()
  if (process.env.KEEP === '1') console.log(`kept ${tmp}`)
  else rmSync(tmp, { recursive: true, force: true })
}
