import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { allSnippets, documentedPages, extractSnippets, SKIP_MARKER, toModule } from '../packed/snippets.js'

const README = `# Title

## Quick start

\`\`\`ts
const app = Fastify()
\`\`\`

\`\`\`sh
npm test
\`\`\`

### Typed sessions

${SKIP_MARKER}

\`\`\`ts
a fragment
\`\`\`

\`\`\`typescript
request.session.get('isAdmin')    // type error: not declared
\`\`\`
`

t.test('every ts block is extracted, except one right after the skip marker', async t => {
  const snippets = extractSnippets(README)
  t.same(snippets.map(s => [s.file, s.doc, s.heading, s.line]), [
    ['readme-01-quick-start.ts', 'README.md', 'Quick start', 5],
    ['readme-02-typed-sessions.ts', 'README.md', 'Typed sessions', 21]
  ])
  t.equal(snippets[0]?.source, 'const app = Fastify()')
})

t.test('a line the docs call a type error must be one; a top-level app is exported for the harness', async t => {
  const [quick, typed] = extractSnippets(README).map(toModule)
  t.match(quick, /^\/\/ README\.md line 5 \(Quick start\)$/m)
  t.match(quick, /^export \{ app \}$/m)
  t.match(typed, /\/\/ @ts-expect-error.*\nrequest\.session\.get\('isAdmin'\)/)
  t.match(typed, /^export \{\}$/m, 'every snippet is a module (top-level await, module augmentation)')
})

t.test('the snippets of README.md and of every docs/*.md page are compiled, each under its own file name', async t => {
  const root = mkdtempSync(join(tmpdir(), 'codex-snippets-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  mkdirSync(join(root, 'docs/upstream'), { recursive: true })
  writeFileSync(join(root, 'README.md'), README)
  writeFileSync(join(root, 'docs/locks.md'), '# Locks\n\n```ts\nconst a = 1\n```\n')
  writeFileSync(join(root, 'docs/cache.md'), '# Cache\n\n```ts\nconst b = 2\n```\n')
  writeFileSync(join(root, 'docs/notes.txt'), '```ts\nnot a page\n```\n')
  writeFileSync(join(root, 'docs/upstream/patch.md'), '```ts\nan upstream patch, not our API\n```\n')
  t.same(documentedPages(root), ['README.md', 'docs/cache.md', 'docs/locks.md'])
  const snippets = allSnippets(root)
  t.same(snippets.map(s => [s.file, s.doc, s.line]), [
    ['readme-01-quick-start.ts', 'README.md', 5],
    ['readme-02-typed-sessions.ts', 'README.md', 21],
    ['docs-cache-01-cache.ts', 'docs/cache.md', 3],
    ['docs-locks-01-locks.ts', 'docs/locks.md', 3]
  ])
})

t.test("this repository's pages: every docs page is collected and no two snippets share a file", async t => {
  const root = new URL('../../', import.meta.url).pathname
  const pages = documentedPages(root)
  t.ok(pages.length > 1, 'README.md and the docs/ pages')
  const snippets = allSnippets(root)
  t.equal(new Set(snippets.map(s => s.file)).size, snippets.length)
  t.ok(snippets.some(s => s.doc.startsWith('docs/')), 'the docs pages have snippets, compiled like the README\'s')
})
