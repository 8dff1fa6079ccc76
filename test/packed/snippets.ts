// Every ```ts block of README.md and of each docs/*.md page becomes a module of the fresh app, so snippets added
// later, on any page, are checked too.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const SKIP_MARKER = '<!-- not-compiled -->'

export interface Snippet {
  /** File name under snippets/, unique across pages, e.g. `readme-07-sessions.ts` or `docs-locks-02-locks.ts`. */
  file: string
  /** The page it comes from, relative to the repository root, e.g. `docs/locks.md`. */
  doc: string
  /** The nearest heading above the block. */
  heading: string
  /** Line of the opening fence in its page (1-based). */
  line: number
  /** The block as written. */
  source: string
}

const slug = (text: string): string => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40)

/** The pages whose snippets are compiled: README.md first, then docs/*.md by name (not docs/upstream/). */
export function documentedPages (root: string): string[] {
  const docs = readdirSync(join(root, 'docs'), { withFileTypes: true })
    .filter(e => e.isFile() && e.name.endsWith('.md'))
    .map(e => `docs/${e.name}`)
    .sort()
  return ['README.md', ...docs]
}

/** The ```ts / ```typescript blocks of a Markdown page, except those right after the skip marker. */
export function extractSnippets (markdown: string, doc = 'README.md'): Snippet[] {
  const prefix = slug(doc.replace(/\.md$/, ''))
  const lines = markdown.split('\n')
  const snippets: Snippet[] = []
  let heading = ''
  let lastText = ''
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '')
    const fence = /^(`{3,})\s*(ts|typescript)\s*$/.exec(line)
    if (fence === null) {
      if (line.trim() !== '') lastText = line.trim()
      continue
    }
    const start = i
    const body: string[] = []
    for (i++; i < lines.length && lines[i] !== fence[1]; i++) body.push(lines[i] ?? '')
    if (lastText === SKIP_MARKER) { lastText = ''; continue }
    lastText = ''
    const file = `${prefix}-${String(snippets.length + 1).padStart(2, '0')}-${slug(heading) || 'top'}.ts`
    snippets.push({ file, doc, heading, line: start + 1, source: body.join('\n') })
  }
  return snippets
}

/** The snippets of every documented page of the repository at `root`. */
export function allSnippets (root: string): Snippet[] {
  return documentedPages(root).flatMap(doc => extractSnippets(readFileSync(join(root, doc), 'utf8'), doc))
}

/**
 * The module compiled for a snippet: a line commented `// type error` must be one (`@ts-expect-error` before it),
 * and a top-level `const app` is exported so the harness can drive that app.
 */
export function toModule (snippet: Snippet): string {
  const out = [`// ${snippet.doc} line ${snippet.line} (${snippet.heading})`]
  for (const line of snippet.source.split('\n')) {
    if (/\/\/.*\btype error\b/.test(line)) out.push(`${/^\s*/.exec(line)?.[0] ?? ''}// @ts-expect-error the docs say so`)
    out.push(line)
  }
  out.push(/^const app\b/m.test(snippet.source) ? 'export { app }' : 'export {}')
  return out.join('\n') + '\n'
}
