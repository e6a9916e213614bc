import Stripe from 'stripe'

import {UsageError} from '../errors.js'
import {PACKAGE_NAME, PACKAGE_VERSION} from '../version.js'

export const STRIPE_API_BASE = 'https://api.stripe.com'

export interface ClientOptions {
  apiKey: string
  /** Another Stripe-compatible server (our emulator, stripe-mock); default Stripe's API. */
  apiBase?: string
  timeoutMs?: number
  maxNetworkRetries?: number
}

export function parseApiBase(apiBase: string): {protocol: 'http' | 'https'; host: string; port: number} {
  let url: URL
  try {
    url = new URL(apiBase)
  } catch {
    throw new UsageError(`--api-base "${apiBase}" is not a URL (expected e.g. http://127.0.0.1:12111)`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--api-base must be an http(s) URL, got ${url.protocol}`)
  if (url.pathname !== '/' && url.pathname !== '')
    throw new UsageError(`--api-base takes no path (the SDK adds /v1/…): ${apiBase}`)
  const protocol = url.protocol === 'http:' ? 'http' : 'https'
  return {protocol, host: url.hostname, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443}
}

/**
 * The one place a Stripe client is made: the SDK's pinned API version (its types describe exactly
 * that version), telemetry off, our app info, a timeout well under the SDK's 80 s default.
 */
export function createStripeClient(options: ClientOptions): Stripe {
  const base = options.apiBase ? parseApiBase(options.apiBase) : undefined
  return new Stripe(options.apiKey, {
    telemetry: false,
    appInfo: {name: PACKAGE_NAME, version: PACKAGE_VERSION},
    timeout: options.timeoutMs ?? 30_000,
    // Our scheduler retries every transient failure, for a documented time rather than the SDK's two tries
    // (SB-G1). stripe-node still resends a closed connection once by itself, with the same idempotency key.
    maxNetworkRetries: options.maxNetworkRetries ?? 0,
    ...(base ? {host: base.host, port: base.port, protocol: base.protocol} : {}),
  })
}
