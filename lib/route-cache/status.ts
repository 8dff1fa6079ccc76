/** `cache-status` values (RFC 9211), our cache's name first. */
const NAME = 'fastify-codex'

export type ForwardReason = 'miss' | 'bypass' | 'stale'

export function hitStatus (ttlLeft: number | undefined): string {
  return ttlLeft === undefined ? `${NAME}; hit` : `${NAME}; hit; ttl=${ttlLeft}`
}

export function forwardStatus (reason: ForwardReason, flags: { stored?: boolean, collapsed?: boolean } = {}): string {
  let value = `${NAME}; fwd=${reason}`
  if (flags.stored === true) value += '; stored'
  if (flags.collapsed === true) value += '; collapsed'
  return value
}
