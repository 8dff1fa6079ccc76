import { test } from 'tap'
import { rejectUnknownOptions } from '../../lib/known-options.js'

const known = new Set(['keyPrefix', 'ttl', 'version'])

test('an unknown option is refused with a suggestion for a near miss', (t) => {
  t.throws(() => { rejectUnknownOptions({ keyprefix: 'a' }, known, 'codexCache') }, { code: 'FST_CODEX_INVALID_OPTIONS', message: /'keyprefix'.*did you mean 'keyPrefix'/ })
  t.throws(() => { rejectUnknownOptions({ tll: 5 }, known, 'codexCache') }, { code: 'FST_CODEX_INVALID_OPTIONS', message: /did you mean 'ttl'/ })
  t.throws(() => { rejectUnknownOptions({ banana: 1 }, known, 'codexCache') }, { code: 'FST_CODEX_INVALID_OPTIONS', message: /^(?!.*did you mean).*'banana'/ })
  t.end()
})

test('known options, and unknown ones set to undefined, pass', (t) => {
  t.doesNotThrow(() => { rejectUnknownOptions({ keyPrefix: 'a', ttl: 1, other: undefined }, known, 'codexCache') })
  t.end()
})
