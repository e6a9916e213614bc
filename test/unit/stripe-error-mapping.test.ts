import Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {describeStripeError} from '../../src/stripe/errors.js'
import {isTransient} from '../../src/stripe/scheduler.js'

const context = {apiBase: 'http://127.0.0.1:8080', maskedKey: 'sk_test_…1234'}

describe('an API base that is not Stripe (issue 18 item 13)', () => {
  it('a reply that is not JSON names the address, says it does not answer like Stripe, and is not retried', () => {
    // What stripe-node raises for a 404 with no body, or a web page.
    const error = new Stripe.errors.StripeAPIError({message: 'Invalid JSON received from the Stripe API'})
    expect(isTransient(error)).toBe(false)
    const described = describeStripeError(error, context)
    expect(described?.message).toBe(
      "http://127.0.0.1:8080 does not answer like Stripe's API: its reply is not Stripe's JSON",
    )
    expect(described?.exitCode).toBe(1)
  })

  it("Stripe's own server error still says it was retried", () => {
    const error = new Stripe.errors.StripeAPIError({message: 'An unknown error occurred', statusCode: 500})
    expect(describeStripeError(error, context)?.message).toBe(
      'Stripe failed (500) and still failed after retries: An unknown error occurred',
    )
  })
})
