#!/bin/bash
# A before/after in the same rounds: bench/session/build-variant.sh NAME copies lib/, plugins/ and index.ts to
# scratch/NAME/src (once: edit them there), builds them with tsc to scratch/NAME/dist (measured as built, like ours)
# and writes scratch/NAME/plugins/session.ts, which BENCH_SESSION_VARIANTS=NAME loads as `fastify-codex [NAME]`.
set -e
cd "$(dirname "$0")/../.."
v=scratch/$1
if [ ! -d $v/src ]; then mkdir -p $v/src && cp -r lib plugins index.ts $v/src/; fi
cat > $v/tsconfig.json <<J
{ "extends": "../../tsconfig.json", "compilerOptions": { "noEmit": false, "rootDir": "src", "outDir": "dist", "declaration": false, "sourceMap": false }, "include": ["src"] }
J
rm -rf $v/dist && npx tsc -p $v/tsconfig.json
mkdir -p $v/plugins && echo "export { codexSession } from '../dist/plugins/session.js'" > $v/plugins/session.ts
echo built $v
