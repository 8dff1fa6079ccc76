import { fileURLToPath } from 'node:url'

/** Node flags for a benchmark child: TypeScript for the bench code, fastify-codex as built (see built-code.mjs). */
export const BENCH_NODE_ARGS: readonly string[] = ['--import', 'tsx', '--import', fileURLToPath(new URL('./built-code.mjs', import.meta.url))]
