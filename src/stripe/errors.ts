import Stripe from 'stripe'

import {UserError} from '../errors.js'

export interface StripeContext {
  apiBase: string
  maskedKey: string
}

/** Turns a Stripe SDK error into the one-line cause a user can act on; undefined if it is not one. */
export function describeStripeError(error: unknown, context: StripeContext): UserError | undefined {
  if (!(error instanceof Stripe.errors.StripeError)) return undefined
  const detail = error.message.split('\n')[0]
  switch (error.type) {
    case 'StripeAuthenticationError':
      return new UserError(`Stripe rejected the API key ${context.maskedKey} (401): ${detail}`, {
        suggestion: 'Check the key under Developers → API keys in the Stripe Dashboard (test mode).',
      })
    case 'StripePermissionError':
      return new UserError(`The key ${context.maskedKey} is not allowed to do this (403): ${detail}`, {
        suggestion: 'A restricted key needs write access to products, prices, customers, subscriptions and test clocks.',
      })
    case 'StripeRateLimitError':
      return new UserError(`Stripe kept rate-limiting requests after all retries (429): ${detail}`, {
        suggestion: 'Another process may be using the same account; lower --max-rps or try again later.',
      })
    case 'StripeConnectionError':
      return new UserError(`Cannot reach the Stripe API at ${context.apiBase}: ${detail}`, {
        suggestion: 'Check your network, or --api-base / STRIPE_API_BASE if you meant a local emulator.',
      })
    case 'StripeAPIError':
      return new UserError(`Stripe failed (${error.statusCode ?? 'no status'}) and still failed after retries: ${detail}`)
    case 'StripeIdempotencyError':
      return new UserError(`Stripe refused a reused idempotency key (400): ${detail}`)
    case 'StripeCardError':
    case 'StripeInvalidRequestError':
    default:
      return new UserError(`Stripe refused a request (${error.statusCode ?? '?'}${error.code ? ` ${error.code}` : ''}): ${detail}`)
  }
}
