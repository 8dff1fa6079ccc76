import t from 'tap'
import { extractSnippets, SKIP_MARKER, toModule } from '../packed/snippets.js'

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
  t.same(snippets.map(s => [s.file, s.heading, s.line]), [['01-quick-start.ts', 'Quick start', 5], ['02-typed-sessions.ts', 'Typed sessions', 21]])
  t.equal(snippets[0]?.source, 'const app = Fastify()')
})

t.test('a line the README calls a type error must be one; a top-level app is exported for the harness', async t => {
  const [quick, typed] = extractSnippets(README).map(toModule)
  t.match(quick, /^export \{ app \}$/m)
  t.match(typed, /\/\/ @ts-expect-error.*\nrequest\.session\.get\('isAdmin'\)/)
  t.match(typed, /^export \{\}$/m, 'every snippet is a module (top-level await, module augmentation)')
})
