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
    case 'StripePermissionError': {
      // A restricted key lacking a permission: "Having the rak_product_write permission would allow this request to continue."
      const permission = /\b(rak_([a-z0-9_]+?)_(read|write))\b/.exec(detail ?? '')
      if (permission) {
        return new UserError(
          `The restricted key ${context.maskedKey} lacks the ${permission[1]} permission this command needs (403)`,
          {
            suggestion: `Allow it under Developers → API keys in the Stripe Dashboard (${permissionLabel(permission[2]!, permission[3]!)}), or use a secret key.`,
          },
        )
      }
      return new UserError(`The key ${context.maskedKey} is not allowed to do this (403): ${detail}`, {
        suggestion:
          'A restricted key needs write access to products, prices, customers, payment methods, subscriptions and test clocks.',
      })
    }
    case 'StripeRateLimitError':
      return new UserError(`Stripe kept rate-limiting requests after all retries (429): ${detail}`, {
        suggestion: 'Another process may be using the same account; lower --max-rps or try again later.',
      })
    case 'StripeConnectionError':
      return new UserError(`Cannot reach the Stripe API at ${context.apiBase}: ${detail}`, {
        suggestion: 'Check your network, or --api-base / STRIPE_API_BASE if you meant a local emulator.',
      })
    case 'StripeAPIError':
      // stripe-node's word for a reply that is not JSON (a web server's 404 page, an empty body): not Stripe at all, and not retried.
      if (error.statusCode === undefined && /^Invalid JSON received/.test(detail ?? ''))
        return new UserError(`${context.apiBase} does not answer like Stripe's API: its reply is not Stripe's JSON`, {
          suggestion:
            "Check --api-base / STRIPE_API_BASE: it takes the address of Stripe's API or of a Stripe-compatible server, e.g. the emulator at http://127.0.0.1:12111.",
        })
      return new UserError(
        `Stripe failed (${error.statusCode ?? 'no status'}) and still failed after retries: ${detail}`,
      )
    case 'StripeIdempotencyError':
      return new UserError(`Stripe refused a reused idempotency key (400): ${detail}`)
    case 'StripeCardError':
    case 'StripeInvalidRequestError':
    default:
      return new UserError(
        `Stripe refused a request (${error.statusCode ?? '?'}${error.code ? ` ${error.code}` : ''}): ${detail}`,
      )
  }
}

/** `test_clock`, `write` → `Test clocks: Write`, as the Dashboard lists a restricted key's resources. */
function permissionLabel(resource: string, access: string): string {
  const words = resource.replaceAll('_', ' ')
  return `${words[0]!.toUpperCase()}${words.slice(1)}${words.endsWith('s') ? '' : 's'}: ${access[0]!.toUpperCase()}${access.slice(1)}`
}
