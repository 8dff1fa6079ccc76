import {
  ClientClosedError, ClientOfflineError, ConnectionTimeoutError, ErrorReply, RootNodesUnavailableError, SimpleError,
  SocketClosedUnexpectedlyError, TimeoutError
} from '@redis/client'
import { SimpleError as OtherCopySimpleError } from 'redis'
import t from 'tap'
import { isErrorReply, translateRedisError, translateSetupError } from '../../lib/connection/translate-error.js'
import { CorruptValueError, RedisCommandError, RedisUnavailableError } from '../../lib/errors.js'

function systemError (code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, errno: -2, syscall: 'connect' })
}

t.test('an error reply about the command is FST_CODEX_REDIS_ERROR (500), cause kept', async (t) => {
  for (const reply of [
    new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value'),
    new SimpleError('ERR value is not an integer or out of range'),
    new SimpleError('NOSCRIPT No matching script'),
    new SimpleError('OOM command not allowed when used memory > \'maxmemory\'')
  ]) {
    const err = translateRedisError(reply)
    t.ok(err instanceof RedisCommandError, reply.message)
    t.match(err, { code: 'FST_CODEX_REDIS_ERROR', statusCode: 500, cause: reply })
    t.match(err.message, reply.message.split(' ')[0], "the reply's error prefix is in the message")
    t.notMatch(err.message, reply.message, 'its text only in cause: loggers print the cause after the message')
  }
})

t.test('replies meaning "cannot serve now" are FST_CODEX_REDIS_UNAVAILABLE (503)', async (t) => {
  for (const text of [
    'LOADING Redis is loading the dataset in memory',
    'BUSY Redis is busy running a script',
    'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no',
    'CLUSTERDOWN The cluster is down',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'READONLY You can\'t write against a read only replica.',
    'NOREPLICAS Not enough good replicas to write.'
  ]) {
    const reply = new SimpleError(text)
    t.match(translateRedisError(reply), { code: 'FST_CODEX_REDIS_UNAVAILABLE', statusCode: 503, cause: reply }, text)
  }
  t.match(translateRedisError(new SimpleError('ERR LOADING is not a prefix here')), { code: 'FST_CODEX_REDIS_ERROR' }, 'only a leading word counts')
})

t.test('an error reply from another copy of @redis/client (the redis package) is still a reply', async (t) => {
  const reply = new OtherCopySimpleError('WRONGTYPE Operation against a key holding the wrong kind of value')
  t.notOk(reply instanceof ErrorReply, 'a different ErrorReply class')
  t.ok(isErrorReply(reply))
  t.match(translateRedisError(reply), { code: 'FST_CODEX_REDIS_ERROR', cause: reply })
  t.notOk(isErrorReply(new Error('ErrorReply')))
  t.notOk(isErrorReply('WRONGTYPE'))
  t.notOk(isErrorReply(undefined))
})

t.test('connection failures are FST_CODEX_REDIS_UNAVAILABLE (503), cause kept', async (t) => {
  for (const failure of [
    new ClientClosedError(), new ClientOfflineError(), new SocketClosedUnexpectedlyError(), new ConnectionTimeoutError(),
    new TimeoutError(), new RootNodesUnavailableError(), systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:6379'),
    systemError('ECONNRESET', 'read ECONNRESET'), systemError('EPIPE', 'write EPIPE')
  ]) {
    const err = translateRedisError(failure)
    t.ok(err instanceof RedisUnavailableError, failure.message)
    t.match(err, { code: 'FST_CODEX_REDIS_UNAVAILABLE', statusCode: 503, cause: failure })
  }
})

t.test('a vanished unix socket (ENOENT) never escapes with code ENOENT', async (t) => {
  const enoent = systemError('ENOENT', 'connect ENOENT /run/redis.sock')
  const err = translateRedisError(enoent) as NodeJS.ErrnoException
  t.equal(err.code, 'FST_CODEX_REDIS_UNAVAILABLE')
  t.not(err.code, 'ENOENT')
  t.equal((err as { statusCode?: number }).statusCode, 503)
  t.equal(err.cause, enoent, 'the system error stays available as cause')
  t.match(err.message, 'ENOENT', 'and is named in the message')
  const bare = systemError('ENOENT', 'no such file')
  t.match(translateRedisError(bare).message, 'ENOENT', 'the code is named even when the message lacks it')
})

t.test('non-errors and already translated errors', async (t) => {
  t.match(translateRedisError('boom'), { code: 'FST_CODEX_REDIS_UNAVAILABLE', message: /boom/, cause: 'boom' })
  const unavailable = new RedisUnavailableError('down')
  t.equal(translateRedisError(unavailable), unavailable, 'not wrapped twice')
  const command = new RedisCommandError('bad')
  t.equal(translateRedisError(command), command)
  const corrupt = new CorruptValueError('bad json')
  t.equal(translateRedisError(corrupt), corrupt, 'other fastify-codex errors keep their code')
})

t.test("a translated error's message never repeats its cause, as pino and util.inspect print both", async (t) => {
  const { err: serialize } = await import('pino-std-serializers')
  for (const failure of [
    new ClientOfflineError(), new ClientClosedError(), new SocketClosedUnexpectedlyError(),
    systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:6379'), new SimpleError('WRONGTYPE Operation against a key'),
    new SimpleError('LOADING Redis is loading the dataset in memory')
  ]) {
    const err = translateRedisError(failure)
    t.notMatch(err.message, failure.message, `${err.message} does not contain "${failure.message}"`)
    const logged = serialize(err).message
    t.equal(logged.split(failure.message).length, 2, `logged once: ${logged}`)
  }
  t.match(translateRedisError(new ClientOfflineError()).message, /ClientOfflineError/, 'the kind of failure is named')
})

t.test('a reply refusing the connection setup is a configuration error; transient replies and socket errors are not', async (t) => {
  const select = new SimpleError('ERR DB index is out of range')
  t.match(translateSetupError(select, 'redis://h:6379/99'), { code: 'FST_CODEX_INVALID_OPTIONS', message: /redis:\/\/h:6379\/99 .*ERR DB index is out of range/ })
  const wrapped = new Error('Master Client (h:6379): WRONGPASS invalid username-password pair', { cause: new SimpleError('WRONGPASS invalid username-password pair') })
  t.match(translateSetupError(wrapped, 'Redis sentinel'), { code: 'FST_CODEX_INVALID_OPTIONS' }, "a sentinel's wrapped reply")
  t.equal(translateSetupError(new SimpleError('LOADING Redis is loading the dataset in memory'), 'x'), undefined, 'LOADING passes')
  t.equal(translateSetupError(systemError('ECONNREFUSED', 'connect ECONNREFUSED'), 'x'), undefined)
})
