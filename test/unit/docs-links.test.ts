import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { documentedPages } from '../packed/snippets.js'

const root = new URL('../../', import.meta.url).pathname

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors (markdown: string): Set<string> {
  const out = new Set<string>()
  const seen = new Map<string, number>()
  let fence = false
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fence = !fence
    const heading = fence ? null : /^#{1,6} (.*)/.exec(line)
    if (heading?.[1] === undefined) continue
    const slug = heading[1].trim().replace(/`/g, '').toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, '').replace(/ /g, '-')
    const n = seen.get(slug) ?? 0
    seen.set(slug, n + 1)
    out.add(n === 0 ? slug : `${slug}-${n}`)
  }
  return out
}

t.test('every relative link of README.md and docs/*.md names a file that exists and a heading it has', async t => {
  for (const page of documentedPages(root)) {
    const text = readFileSync(join(root, page), 'utf8')
    for (const [, target] of text.matchAll(/\[(?:[^\]`]|`[^`]*`)*\]\(([^)\s]+)\)/g)) {
      if (target === undefined || /^[a-z]+:/.test(target)) continue
      const [path = '', anchor] = target.split('#')
      const file = path === '' ? join(root, page) : normalize(join(root, dirname(page), path))
      t.ok(existsSync(file), `${page}: ${target} exists`)
      if (anchor !== undefined && file.endsWith('.md') && existsSync(file)) {
        t.ok(anchors(readFileSync(file, 'utf8')).has(anchor), `${page}: ${target} names a heading of ${relative(root, file)}`)
      }
    }
  }
})

t.test('the anchors follow GitHub: punctuation and backticks dropped, repeats numbered', async t => {
  t.same([...anchors('# Coming from connect-redis, @fastify/redis or @fastify/caching\n## `codexCache` options\n## A\n## A\n')],
    ['coming-from-connect-redis-fastifyredis-or-fastifycaching', 'codexcache-options', 'a', 'a-1'])
})
