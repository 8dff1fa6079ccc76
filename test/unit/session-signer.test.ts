import { Signer } from '@fastify/cookie'
import t from 'tap'
import { RememberingSigner, type CookieSigner } from '../../lib/session/signer.js'

const NEW = 'the-current-secret-of-at-least-32-chars'
const OLD = 'the-previous-secret-of-at-least-32-chars'

/** @fastify/cookie's Signer, counting the HMACs its sign() computes. */
function counted (secrets: string | string[]): { signer: CookieSigner, signs: () => number } {
  const inner = new Signer(secrets)
  let signs = 0
  return {
    signer: { sign: (value) => { signs++; return inner.sign(value) }, unsign: (input) => inner.unsign(input) },
    signs: () => signs
  }
}

t.test('an id verified with the signing secret is signed again without an HMAC, to the same text', async (t) => {
  const { signer, signs } = counted([NEW, OLD])
  const cookie = new Signer(NEW).sign('abc')
  const remembering = new RememberingSigner(signer)
  t.same(remembering.unsign(cookie), { valid: true, renew: false, value: 'abc' })
  t.equal(remembering.sign('abc'), cookie)
  t.equal(signs(), 0)
  // Remembered once: a second Session for that id (a reload) signs for real, to the same text.
  t.equal(remembering.sign('abc'), cookie)
  t.equal(signs(), 1)
})

t.test('a cookie signed with an older secret is signed afresh with the current one', async (t) => {
  const { signer, signs } = counted([NEW, OLD])
  const remembering = new RememberingSigner(signer)
  const oldCookie = new Signer(OLD).sign('abc')
  t.same(remembering.unsign(oldCookie), { valid: true, renew: true, value: 'abc' })
  t.equal(remembering.sign('abc'), new Signer(NEW).sign('abc'))
  t.not(remembering.sign('abc'), oldCookie)
  t.equal(signs(), 2)
})

t.test('a forged cookie is refused and remembers nothing', async (t) => {
  const { signer, signs } = counted(NEW)
  const remembering = new RememberingSigner(signer)
  t.same(remembering.unsign('abc.forged'), { valid: false, renew: false, value: null })
  t.equal(remembering.sign('abc'), new Signer(NEW).sign('abc'))
  t.equal(signs(), 1)
})

t.test('ids verified but never signed again are forgotten at a bounded size', async (t) => {
  const { signer, signs } = counted(NEW)
  const remembering = new RememberingSigner(signer)
  const plain = new Signer(NEW)
  for (let i = 0; i <= 4096; i++) remembering.unsign(plain.sign(`id-${i}`))
  // The 4097th verification found the memo full and started it over: only the last id is still remembered.
  t.equal(remembering.sign('id-4096'), plain.sign('id-4096'))
  t.equal(signs(), 0)
  t.equal(remembering.sign('id-0'), plain.sign('id-0'))
  t.equal(signs(), 1)
})
