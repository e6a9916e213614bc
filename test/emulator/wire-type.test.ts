import type Stripe from 'stripe'
import {describe, expectTypeOf, it} from 'vitest'

import type {Wire} from '../../src/emulator/wire.js'

/*
 * Wire<T> is checked by the compiler (`npm run typecheck` covers test/): each expectation below
 * fails to compile, not to run, when Wire stops describing what the renderers must write.
 */
describe('Wire<T>: the JSON shape a renderer must produce for a stripe-node type', () => {
  it('turns an expandable field into its id (and keeps null where the field is nullable)', () => {
    expectTypeOf<Wire<Stripe.Subscription>['customer']>().toEqualTypeOf<string>()
    expectTypeOf<Wire<Stripe.Subscription>['latest_invoice']>().toEqualTypeOf<string | null>()
    expectTypeOf<Wire<Stripe.Subscription>['discounts']>().toEqualTypeOf<string[]>()
    expectTypeOf<{id: string; object: 'customer'}>().not.toMatchTypeOf<Wire<Stripe.Subscription>['customer']>()
  })

  it('keeps always-embedded objects as objects, recursively', () => {
    expectTypeOf<Wire<Stripe.SubscriptionItem>['price']['product']>().toEqualTypeOf<string>()
    expectTypeOf<Wire<Stripe.Subscription>['items']['data'][number]['object']>().toEqualTypeOf<'subscription_item'>()
  })

  it('writes Decimal fields as strings', () => {
    expectTypeOf<Wire<Stripe.Price>['unit_amount_decimal']>().toEqualTypeOf<string | null>()
  })

  it('requires every field stripe-node declares required', () => {
    expectTypeOf<{id: string; object: 'test_helpers.test_clock'}>().not.toMatchTypeOf<
      Wire<Stripe.TestHelpers.TestClock>
    >()
  })
})
