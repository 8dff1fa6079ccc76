// Module hooks for built-code.mjs: the project's own lib/, plugins/, index.ts and otel.ts resolve to their tsc output in dist/.
import { pathToFileURL } from 'node:url'

let rootUrl = ''
const OWN = /^(?:index\.ts|otel\.ts|(?:lib|plugins)\/.+\.ts)$/

export function initialize (data) {
  rootUrl = pathToFileURL(data.root).href
}

export async function resolve (specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context)
  if (!resolved.url.startsWith(rootUrl)) return resolved
  const path = resolved.url.slice(rootUrl.length)
  if (!OWN.test(path)) return resolved
  return { ...resolved, format: 'module', url: `${rootUrl}dist/${path.replace(/\.ts$/, '.js')}` }
}
