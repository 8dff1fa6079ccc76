// Every ```ts block of README.md becomes a module of the fresh app, so snippets added later are checked too.
export const SKIP_MARKER = '<!-- not-compiled -->'

export interface Snippet {
  /** File name under snippets/, e.g. `07-sessions.ts`. */
  file: string
  /** The nearest heading above the block. */
  heading: string
  /** Line of the opening fence in README.md (1-based). */
  line: number
  /** The block as written. */
  source: string
}

const slug = (text: string): string => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40)

/** The ```ts / ```typescript blocks of a Markdown text, except those right after the skip marker. */
export function extractSnippets (markdown: string): Snippet[] {
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
    const file = `${String(snippets.length + 1).padStart(2, '0')}-${slug(heading) || 'top'}.ts`
    snippets.push({ file, heading, line: start + 1, source: body.join('\n') })
  }
  return snippets
}

/**
 * The module compiled for a snippet: a line commented `// type error` must be one (`@ts-expect-error` before it),
 * and a top-level `const app` is exported so the harness can drive that app.
 */
export function toModule (snippet: Snippet): string {
  const out = [`// README.md line ${snippet.line} (${snippet.heading})`]
  for (const line of snippet.source.split('\n')) {
    if (/\/\/.*\btype error\b/.test(line)) out.push(`${/^\s*/.exec(line)?.[0] ?? ''}// @ts-expect-error the README says so`)
    out.push(line)
  }
  out.push(/^const app\b/m.test(snippet.source) ? 'export { app }' : 'export {}')
  return out.join('\n') + '\n'
}
