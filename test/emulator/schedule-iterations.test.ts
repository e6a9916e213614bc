import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {useEmulator} from '../helpers/emulator.js'
import {START, monthlyPrice, sdk} from './sdk.js'

/** `phases[][iterations]` before clover (docs/stripe-behaviour.md SB-T9). */
const emulator = useEmulator({advanceMs: 0})
const ACACIA = '2025-02-24.acacia' as Stripe.LatestApiVersion
type Loose = Record<string, unknown>

/** Schedule create as a pre-clover client sends it: `iterations` was a phase parameter then. */
const legacy = (params: Loose) => params as unknown as Stripe.SubscriptionScheduleCreateParams

async function customerOnClock(stripe: Stripe): Promise<Stripe.Customer> {
  const clock = await stripe.testHelpers.testClocks.create({frozen_time: START})
  return stripe.customers.create({
    test_clock: clock.id,
    payment_method: 'pm_card_visa',
    invoice_settings: {default_payment_method: 'pm_card_visa'},
  })
}

describe('schedule phases of `iterations` price intervals (SB-T9)', () => {
  it('each phase lasts iterations × the price interval, from where the one before ends', async () => {
    const stripe = sdk(emulator(), 'sk_test_schedule_iterations', {apiVersion: ACACIA})
    const customer = await customerOnClock(stripe)
    const quarterly = await monthlyPrice(stripe, 3000, 'Quarterly', {interval: 'month', interval_count: 3})
    const schedule = await stripe.subscriptionSchedules.create(
      legacy({
        customer: customer.id,
        start_date: 'now',
        phases: [
          {items: [{price: quarterly.id, quantity: 1}], iterations: 2},
          {items: [{price: quarterly.id, quantity: 2}], iterations: 1},
        ],
      }),
    )
    expect(schedule.phases.map((phase) => [phase.start_date, phase.end_date])).toEqual([
      [START, Date.UTC(2026, 6, 1) / 1000],
      [Date.UTC(2026, 6, 1) / 1000, Date.UTC(2026, 9, 1) / 1000],
    ])
  })

  it('iterations with end_date is a 400; from clover iterations is an unknown parameter', async () => {
    const old = sdk(emulator(), 'sk_test_schedule_iterations_bad', {apiVersion: ACACIA})
    const customer = await customerOnClock(old)
    const price = await monthlyPrice(old, 1000)
    const phase = {items: [{price: price.id}], iterations: 1}
    await expect(
      old.subscriptionSchedules.create(
        legacy({customer: customer.id, start_date: 'now', phases: [{...phase, end_date: START + 86_400 * 40}]}),
      ),
    ).rejects.toMatchObject({statusCode: 400, param: 'phases[0][end_date]'})
    const clover = sdk(emulator(), 'sk_test_schedule_iterations_bad', {
      apiVersion: '2025-09-30.clover' as Stripe.LatestApiVersion,
    })
    await expect(
      clover.subscriptionSchedules.create(legacy({customer: customer.id, start_date: 'now', phases: [phase]})),
    ).rejects.toMatchObject({statusCode: 400, code: 'parameter_unknown', param: 'phases[0][iterations]'})
  })
})
