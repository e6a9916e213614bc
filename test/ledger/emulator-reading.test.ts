import Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {MrrDefinitionsSchema} from '../../src/ledger/definitions.js'
import {LEDGER_SUBSCRIPTION_EXPAND, monthReading} from '../../src/ledger/reading.js'
import {snapshotRowsFromLedger} from '../../src/ledger/snapshot-rows.js'
import {useEmulator} from '../helpers/emulator.js'

const emulator = useEmulator()
const START = Date.UTC(2026, 0, 1) / 1000

/**
 * The ledger reads real SDK objects: a subscription the emulator made, listed per clock with the
 * expansion the run will ask for, gives the row the run writes to sub_snapshots.json today.
 */
describe('ledger reading of SDK objects (in-process emulator)', () => {
  it("a monthly USD subscription reads as today's snapshot row", async () => {
    const url = new URL(emulator().url)
    const stripe = new Stripe('sk_test_ledger', {
      host: url.hostname,
      port: Number(url.port),
      protocol: 'http',
      telemetry: false,
      maxNetworkRetries: 0,
    })
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1500,
      recurring: {interval: 'month'},
      product_data: {name: 'Pro Plus'},
      metadata: {stripe_seed_plan: 'pro_plus'},
    })
    const clock = await stripe.testHelpers.testClocks.create({frozen_time: START, name: 'ledger-reading'})
    const customer = await stripe.customers.create({
      test_clock: clock.id,
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id, quantity: 4}]})

    const listed = await stripe.subscriptions.list({
      test_clock: clock.id,
      status: 'all',
      expand: [...LEDGER_SUBSCRIPTION_EXPAND],
    })
    const definitions = MrrDefinitionsSchema.parse({})
    const items = monthReading(listed.data, {month: '2026-01', at: START, definitions})
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({
      customer_id: customer.id,
      subscription_id: sub.id,
      plan: 'pro_plus',
      interval: 'month',
      unit_amount: 1500,
      quantity: 4,
      mrr: 6000,
      excluded: null,
      trial: 'none',
      discounts: [],
    })
    expect(snapshotRowsFromLedger(items, definitions)).toEqual([
      {
        month: '2026-01',
        customer_id: customer.id,
        subscription_id: sub.id,
        plan: 'pro_plus',
        price_id: price.id,
        price_amount: 1500,
        screens: 4,
        mrr_cents: 6000,
        status: 'active',
      },
    ])
  })
})
