import { Signer } from '@fastify/cookie'
import t from 'tap'
import { RememberingSigner, sessionSigner, type CookieSigner } from '../../lib/session/signer.js'

const NEW = 'the-current-secret-of-at-least-32-chars'
const OLD = 'the-previous-secret-of-at-least-32-chars'

/** @fastify/cookie's Signer, counting the calls that compute an HMAC. */
function counted (secrets: string | string[]): { signer: CookieSigner, hmacs: () => number } {
  const inner = new Signer(secrets)
  let hmacs = 0
  return {
    signer: {
      sign: (value) => { hmacs++; return inner.sign(value) },
      unsign: (input) => { hmacs++; return inner.unsign(input) }
    },
    hmacs: () => hmacs
  }
}

t.test('a verified cookie is verified and signed again without an HMAC, to the same text', async (t) => {
  const { signer, hmacs } = counted([NEW, OLD])
  const cookie = new Signer(NEW).sign('abc')
  const remembering = new RememberingSigner(signer)
  t.same(remembering.unsign(cookie), { valid: true, renew: false, value: 'abc' })
  t.equal(hmacs(), 1, 'the first verification is the real one')
  t.equal(remembering.sign('abc'), cookie)
  t.same(remembering.unsign(cookie), { valid: true, renew: false, value: 'abc' })
  t.equal(remembering.sign('abc'), cookie)
  t.equal(hmacs(), 1)
})

t.test('a new id is signed by the real signer and not remembered until its cookie comes back', async (t) => {
  const { signer, hmacs } = counted(NEW)
  const remembering = new RememberingSigner(signer)
  const cookie = remembering.sign('new-session')
  t.equal(cookie, new Signer(NEW).sign('new-session'))
  t.equal(remembering.sign('new-session'), cookie)
  t.equal(hmacs(), 2)
  t.same(remembering.unsign(cookie), { valid: true, renew: false, value: 'new-session' })
  t.same(remembering.unsign(cookie), { valid: true, renew: false, value: 'new-session' })
  t.equal(hmacs(), 3, 'its first return is verified for real, the next ones are not')
})

t.test('a cookie signed with an older secret is verified by the real signer and signed afresh', async (t) => {
  const { signer, hmacs } = counted([NEW, OLD])
  const remembering = new RememberingSigner(signer)
  const current = new Signer(NEW).sign('abc')
  remembering.unsign(current)
  const oldCookie = new Signer(OLD).sign('abc')
  t.same(remembering.unsign(oldCookie), { valid: true, renew: true, value: 'abc' }, 'renew, although the id is remembered')
  t.equal(remembering.sign('abc'), current)
  t.equal(hmacs(), 2)
})

t.test('a forged or malformed cookie is refused, by the real signer, whether or not its id is remembered', async (t) => {
  const { signer, hmacs } = counted(NEW)
  const remembering = new RememberingSigner(signer)
  const cookie = new Signer(NEW).sign('abc')
  remembering.unsign(cookie)
  const refused = { valid: false, renew: false, value: null }
  for (const forged of ['abc.forged', `${cookie}x`, cookie.slice(0, -1), 'abc.', 'abc', '', `.${cookie}`, `${cookie.slice(0, -1)}A`, `${cookie.slice(0, -1)}é`]) {
    t.same(remembering.unsign(forged), refused, JSON.stringify(forged))
  }
  t.equal(hmacs(), 10, 'one real verification, and every refusal went to the real signer')
  t.same(remembering.unsign(cookie), { valid: true, renew: false, value: 'abc' }, 'the real cookie still passes')
})

t.test('the memo is bounded: past its size it starts over, and a forgotten id costs one HMAC again', async (t) => {
  const { signer, hmacs } = counted(NEW)
  const remembering = new RememberingSigner(signer)
  const plain = new Signer(NEW)
  for (let i = 0; i <= 8192; i++) remembering.unsign(plain.sign(`id-${i}`))
  t.equal(hmacs(), 8193)
  // The 8193rd cookie found the memo full and started it over: only it is still remembered.
  remembering.unsign(plain.sign('id-8192'))
  t.equal(hmacs(), 8193)
  t.equal(remembering.sign('id-0'), plain.sign('id-0'))
  t.equal(hmacs(), 8194)
})

t.test('sessionSigner: the signatures of @fastify/cookie\'s Signer, older secrets renewed, forgeries refused', async (t) => {
  const signer = sessionSigner([NEW, OLD])
  const cookie = new Signer(NEW).sign('abc')
  t.equal(signer.sign('abc'), cookie, 'signed with the first secret, as @fastify/cookie signs')
  t.same(signer.unsign(cookie), { valid: true, renew: false, value: 'abc' })
  t.same(signer.unsign(cookie), { valid: true, renew: false, value: 'abc' }, 'a returning cookie')
  t.same(signer.unsign(new Signer(OLD).sign('abc')), { valid: true, renew: true, value: 'abc' }, 'an older secret: valid, to renew')
  t.same(signer.unsign(`abc.${'A'.repeat(43)}`), { valid: false, renew: false, value: null }, 'a forgery')
  t.equal(sessionSigner(NEW, 'sha512').sign('abc'), new Signer(NEW, 'sha512').sign('abc'), 'the algorithm given')
})

t.test('sessionSigner: a short or empty secret, or an unknown algorithm, is FST_CODEX_INVALID_OPTIONS', async (t) => {
  const invalid = { code: 'FST_CODEX_INVALID_OPTIONS' }
  t.throws(() => sessionSigner('too short'), invalid)
  t.throws(() => sessionSigner([]), invalid)
  t.throws(() => sessionSigner([NEW, '']), invalid)
  t.throws(() => sessionSigner(undefined as unknown as string), invalid)
  t.throws(() => sessionSigner(NEW, 'no-such-hash'), invalid)
})
