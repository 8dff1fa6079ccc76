import t from 'tap'
import * as errors from '../../lib/errors.js'

const classes = Object.entries(errors).filter(([name]) => /^[A-Z]\w*Error$/.test(name)) as Array<[string, new (...args: string[]) => Error]>

t.test('every error class names its errors after itself, not FastifyError', async (t) => {
  t.ok(classes.length >= 10)
  for (const [name, ErrorClass] of classes) {
    const err = new ErrorClass('x', 'y')
    t.equal(err.name, name, name)
    t.ok(err instanceof ErrorClass, `${name}: instanceof`)
    t.ok(err instanceof Error)
    t.equal(ErrorClass.name, name, `${name}: the class's own name`)
    t.equal(err.constructor, ErrorClass, `${name}: constructor (pino logs its name as the type)`)
    t.match(String(err), new RegExp(`^${name} \\[FST_CODEX_`), `${name}: toString`)
    t.match(err.stack, new RegExp(`^${name}`), `${name}: stack`)
  }
})

t.test('codes, status codes, causes and TypeError bases are as before', async (t) => {
  const cause = new Error('inner')
  const err = new errors.RedisUnavailableError('down', { cause })
  t.match(err, { code: 'FST_CODEX_REDIS_UNAVAILABLE', statusCode: 503, cause, message: 'Redis is unavailable: down' })
  t.ok(new errors.InvalidKeyError('x') instanceof TypeError)
  t.notOk(err instanceof errors.RedisCommandError, 'classes stay distinct')
})

t.test('the stack starts where the error was raised, not in errors.ts', async (t) => {
  function raiseHere (): Error {
    return new errors.KeyNotFoundError('"k"')
  }
  const frames = (raiseHere().stack ?? '').split('\n')
  t.match(frames[0], /^KeyNotFoundError: Key "k" does not exist/)
  t.match(frames[1], /raiseHere/)
})
