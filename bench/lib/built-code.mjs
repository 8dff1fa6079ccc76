/**
 * `--import` after tsx: the benchmarks run fastify-codex as users do, compiled by tsc (dist/, what the package ships),
 * not through tsx. esbuild (tsx) keeps function names by wrapping every closure in `__name(fn, …)`, an
 * Object.defineProperty per closure created at run time: 2–4 % of a session request's CPU that no user pays.
 * BENCH_FROM_SOURCE=1 runs the TypeScript sources instead.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { register } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

function sources (dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

// A stale build would measure yesterday's code: refuse it rather than mislead.
function assertBuilt () {
  for (const source of [join(root, 'index.ts'), join(root, 'otel.ts'), ...sources(join(root, 'lib')), ...sources(join(root, 'plugins'))]) {
    const built = join(root, 'dist', relative(root, source)).replace(/\.ts$/, '.js')
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(source).mtimeMs) {
      throw new Error(`bench: ${relative(root, built)} is missing or older than its source: run \`npm run build\` (or set BENCH_FROM_SOURCE=1)`)
    }
  }
}

if (process.env.BENCH_FROM_SOURCE !== '1') {
  assertBuilt()
  register('./built-code-hooks.mjs', import.meta.url, { data: { root } })
}
