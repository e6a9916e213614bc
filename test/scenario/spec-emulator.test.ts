import type Stripe from 'stripe'
import {describe, expect, it, onTestFinished} from 'vitest'

import {HOUR, addIntervals, monthLabel} from '../../src/billing-time.js'
import {applyScenario} from '../../src/config/scenarios.js'
import {ConfigSchema, defaultConfig} from '../../src/config/schema.js'
import {monthReading} from '../../src/ledger/reading.js'
import {addonLookupKey, couponIdFor, priceLookupKey, scenarioCatalog} from '../../src/scenario/catalog.js'
import {type PlannedEvent, eventTime, planScenario} from '../../src/scenario/plan.js'
import {startEmulator} from '../../src/emulator/server.js'
import {FAST} from '../helpers/emulator.js'
import {advance, sdk} from '../emulator/sdk.js'

/**
 * The execution spec of src/scenario/README.md, followed request by request against the emulator
 * through the real SDK: Stripe accepts every planned request, and each month's ledger reading of
 * Stripe's state equals the planner's expected MRR per customer. Not the run (src/run does that):
 * one clock per customer, no scheduler, the smallest executor that follows the table.
 */
const START = Date.UTC(2026, 0, 1) / 1000

describe("a saas scenario executed by the README's table", () => {
  const every = {
    scheduledCancellation: 'at_period_end' as const,
    discounts: {subtractRecurring: true, subtractOneTime: true},
  }
  it.each([
    {seed: 1, analytics: {}},
    {seed: 2, analytics: {}},
    {seed: 3, analytics: every},
    {seed: 4, analytics: every},
  ])(
    'seed $seed, analytics $analytics: accepted by Stripe (the emulator), and the ledger reads the planned MRR and status every month',
    async ({seed, analytics}) => {
      const months = 6
      // No failing cards here: a past-due renewal needs the run's card swap, which is not a scenario request.
      const saas = applyScenario(
        ConfigSchema.parse({
          ...defaultConfig(),
          months,
          events: {upgrades: 6, downgrades: 2, cancellations: 4, pastDue: 0},
        }),
        'saas',
      )
      const config = {...saas, analytics: {...saas.analytics, ...analytics}}
      const scenario = planScenario({config, customers: 60, months, seed, startTime: START, runId: 'spec'})
      // A fresh account per seed: the catalog's product ids are fixed.
      const emulator = await startEmulator(FAST)
      onTestFinished(() => emulator.close())
      const stripe = sdk(emulator)
      const catalog = scenarioCatalog(config)
      for (const product of catalog.products) await stripe.products.create(product.params)
      const priceId = new Map<string, string>()
      for (const price of catalog.prices) priceId.set(price.lookupKey, (await stripe.prices.create(price.params)).id)
      const coupons = new Map<string, Stripe.Coupon>()
      for (const coupon of catalog.coupons) coupons.set(coupon.id, await stripe.coupons.create(coupon.params))
      const promotionId = new Map<string, string>()
      for (const code of catalog.promotionCodes)
        promotionId.set(code.coupon, (await stripe.promotionCodes.create(code.params)).id)
      const planCurrency = new Map(config.plans.map((plan) => [plan.key, plan.currency]))
      const price = (plan: string, interval: 'month' | 'year', currency: string) =>
        priceId.get(priceLookupKey(plan, interval, currency, planCurrency.get(plan)!))!
      const discount = (coupon: string, via: 'coupon' | 'promotion_code'): Stripe.SubscriptionCreateParams.Discount =>
        via === 'promotion_code'
          ? {promotion_code: promotionId.get(couponIdFor(coupon))!}
          : {coupon: couponIdFor(coupon)}

      const clocks: string[] = []
      const subscriptions: string[][] = []
      const interval = new Map<number, 'month' | 'year'>()
      await Promise.all(
        scenario.customers.map(async (c) => {
          const terms = c.terms!
          const clock = await stripe.testHelpers.testClocks.create({frozen_time: START, name: `spec-${c.index}`})
          const card = terms.paymentMethod
            ? {payment_method: 'pm_card_visa', invoice_settings: {default_payment_method: 'pm_card_visa'}}
            : {}
          const customer = await stripe.customers.create({test_clock: clock.id, email: c.identity.email, ...card})
          const subscription = await stripe.subscriptions.create({
            customer: customer.id,
            items: [{price: price(c.plan, terms.interval, terms.currency), quantity: c.screens}],
            ...(terms.trial
              ? {
                  trial_period_days: terms.trial.days,
                  trial_settings: {end_behavior: {missing_payment_method: 'cancel'}},
                }
              : {}),
            ...(terms.coupon?.month === 0 ? {discounts: [discount(terms.coupon.id, terms.coupon.via)]} : {}),
          })
          clocks[c.index] = clock.id
          subscriptions[c.index] = [subscription.id]
          interval.set(c.index, terms.interval)
        }),
      )

      const apply = async (event: PlannedEvent) => {
        const c = scenario.customers[event.customer]!
        const currency = c.terms!.currency
        const id = subscriptions[event.customer]![event.subscription ?? 0]!
        const proration =
          event.prorationBehavior && event.prorationBehavior !== 'create_prorations'
            ? {proration_behavior: event.prorationBehavior}
            : {}
        const item = async () => (await stripe.subscriptions.retrieve(id)).items.data[0]!.id
        switch (event.kind) {
          case 'upgrade':
          case 'downgrade':
            await stripe.subscriptions.update(id, {
              items: [
                {
                  id: await item(),
                  price: price(event.to!.plan, interval.get(event.customer)!, currency),
                  quantity: event.to!.screens,
                },
              ],
              proration_behavior: config.prorationBehavior,
            })
            return
          case 'mid_cycle_upgrade':
          case 'mid_cycle_downgrade':
            await stripe.subscriptions.update(id, {
              items: [
                {
                  id: await item(),
                  price: price(event.to!.plan, interval.get(event.customer)!, currency),
                  quantity: event.to!.screens,
                },
              ],
              ...proration,
            })
            return
          case 'seat_growth':
            await stripe.subscriptions.update(id, {
              items: [{id: await item(), quantity: event.to!.screens}],
              ...proration,
            })
            return
          case 'to_yearly':
            await stripe.subscriptions.update(id, {
              items: [{id: await item(), price: price(event.to!.plan, 'year', currency), quantity: event.to!.screens}],
              ...proration,
            })
            interval.set(event.customer, 'year')
            return
          case 'cancel':
            await stripe.subscriptions.cancel(id)
            return
          case 'cancel_at_period_end': {
            const updated = await stripe.subscriptions.update(id, {cancel_at_period_end: true})
            expect(updated.cancel_at).toBe(event.endsAt)
            return
          }
          case 'reactivation': {
            const customer = (await stripe.subscriptions.retrieve(subscriptions[event.customer]![0]!))
              .customer as string
            const created = await stripe.subscriptions.create({
              customer,
              items: [
                {price: price(event.to!.plan, event.to!.interval ?? 'month', currency), quantity: event.to!.screens},
              ],
            })
            subscriptions[event.customer]!.push(created.id)
            return
          }
          case 'discount':
            await stripe.subscriptions.update(id, {discounts: [discount(event.coupon!, event.via!)]})
            return
          case 'addon_added': {
            const addonPrice = priceId.get(addonLookupKey(event.addon!, currency, config.plans[0]!.currency))!
            const updated = await stripe.subscriptions.update(id, {items: [{price: addonPrice}], ...proration})
            // A second item beside the plan's, which stays as it was (SB-30).
            expect(updated.items.data.map((i) => i.price.id)).toEqual([
              (await stripe.subscriptions.retrieve(id)).items.data[0]!.price.id,
              addonPrice,
            ])
            return
          }
          case 'addon_removed': {
            const addonItem = (await stripe.subscriptions.retrieve(id)).items.data.find(
              (i) => i.price.metadata.stripe_seed_addon === event.addon,
            )!
            const updated = await stripe.subscriptions.update(id, {
              items: [{id: addonItem.id, deleted: true}],
              ...proration,
            })
            // The subscription goes on with the plan's item alone (SB-83).
            expect({status: updated.status, items: updated.items.data.length}).toEqual({status: 'active', items: 1})
            return
          }
          default:
            throw new Error(`no request for ${event.kind} in this scenario`)
        }
      }

      const requested = scenario.events.filter((event) => !['trial_end', 'subscription_end'].includes(event.kind))
      for (let month = 1; month <= months; month++) {
        const reading = addIntervals(START, 'month', month) + 2 * HOUR
        await Promise.all(
          scenario.customers.map(async (c) => {
            for (const event of requested.filter((e) => e.customer === c.index && e.month === month)) {
              await advance(stripe, clocks[c.index]!, event.at ?? reading)
              await apply(event)
            }
            const clock = await stripe.testHelpers.testClocks.retrieve(clocks[c.index]!)
            if (clock.frozen_time < reading) await advance(stripe, clocks[c.index]!, reading)
          }),
        )
        const expected = scenario.expected[month]!
        const listed: Stripe.Subscription[] = []
        for (const c of scenario.customers) {
          for (const id of subscriptions[c.index]!)
            listed.push(await stripe.subscriptions.retrieve(id, {expand: ['discounts']}))
        }
        const rows = monthReading(listed, {
          month: monthLabel(reading),
          at: reading,
          definitions: config.analytics,
          coupons,
          planOf: (p) => p.metadata?.stripe_seed_plan ?? p.metadata?.stripe_seed_addon,
        })
        const customerOf = new Map(
          listed.map((s) => [s.id, scenario.customers.find((c) => subscriptions[c.index]!.includes(s.id))!.index]),
        )
        const actual = new Map<number, number>()
        for (const row of rows)
          actual.set(
            customerOf.get(row.subscription_id)!,
            (actual.get(customerOf.get(row.subscription_id)!) ?? 0) + row.mrr,
          )
        const want = new Map<number, number>()
        for (const sub of expected.subscriptions) want.set(sub.customer, (want.get(sub.customer) ?? 0) + sub.mrrCents)
        for (const c of scenario.customers)
          expect({month, customer: c.index, mrr: actual.get(c.index) ?? 0}).toEqual({
            month,
            customer: c.index,
            mrr: want.get(c.index) ?? 0,
          })
        // Statuses too: every planned subscription alive at the reading is alive in Stripe with the planned status.
        for (const sub of expected.subscriptions) {
          const stripeSub = listed.find((s) => s.id === subscriptions[sub.customer]![sub.subscription ?? 0])!
          expect({customer: sub.customer, status: stripeSub.status}).toEqual({
            customer: sub.customer,
            status: sub.status,
          })
        }
      }
      expect(new Set(requested.map((e) => e.kind)).size).toBeGreaterThanOrEqual(8)
      expect(eventTime(requested[0]!, START)).toBeGreaterThan(START)
    },
    120_000,
  )
})
