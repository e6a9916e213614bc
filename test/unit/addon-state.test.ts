import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {toState} from '../../src/run/clock-pipeline.js'

/** A subscription as the SDK types it, with only what toState reads. */
function subscription(
  items: Array<{id: string; price: string; metadata: Record<string, string>}>,
): Stripe.Subscription {
  return {
    id: 'sub_1',
    customer: 'cus_1',
    status: 'active',
    cancel_at_period_end: false,
    discounts: [],
    items: {
      data: items.map((item) => ({
        id: item.id,
        quantity: item.id === 'si_plan' ? 4 : 1,
        current_period_end: 1_800_000_000,
        price: {id: item.price, unit_amount: 1000, metadata: item.metadata},
      })),
    },
  } as unknown as Stripe.Subscription
}

describe('the run’s state of a subscription with an add-on (issue 17)', () => {
  const plan = {id: 'si_plan', price: 'price_plan', metadata: {stripe_seed_plan: 'standard'}}
  const addon = {id: 'si_addon', price: 'price_addon', metadata: {stripe_seed_addon: 'support'}}

  it('follows the plan’s item and keeps the add-on’s item id, whichever order Stripe lists them in', () => {
    for (const items of [
      [plan, addon],
      [addon, plan],
    ])
      expect(toState(subscription(items))).toMatchObject({
        itemId: 'si_plan',
        priceId: 'price_plan',
        quantity: 4,
        planHint: 'standard',
        addonItemId: 'si_addon',
      })
  })

  it('has no add-on item id once the add-on is removed', () => {
    expect(toState(subscription([plan])).addonItemId).toBeUndefined()
  })
})
