import Stripe from 'stripe'
import {afterAll, describe, expect, it} from 'vitest'

import {addIntervals} from '../../src/billing-time.js'
import type {RunningEmulator} from '../../src/emulator/server.js'
import {useEmulator} from '../helpers/emulator.js'
import {webhookReceiver} from '../helpers/webhook-receiver.js'
import {DAY, HOUR, START, advance, clockWithCustomer, sdk} from './sdk.js'

/**
 * The done-script at several API versions: one flow (a 14-day trial with a forever coupon
 * that converts, a mid-cycle upgrade with prorations, the next invoice paid, a cancellation at
 * period end) through stripe-node pinned to each version, every object in that version's shape
 * (docs/stripe-behaviour.md SB-V*), and a webhook endpoint per version that gets its events in it.
 */
const emulator = useEmulator({advanceMs: 0})
const receivers: Array<Awaited<ReturnType<typeof webhookReceiver>>> = []
afterAll(async () => Promise.all(receivers.map((receiver) => receiver.close())))

const SETTLED = HOUR + 60 // past the hour a renewal stays draft (SB-32)
type Loose = Record<string, unknown>

interface VersionRun {
  /** What the run is called in the test name. */
  label: string
  /** The version every response and event is expected in. */
  version: string
  client: (emulator: RunningEmulator) => {stripe: Stripe; options: Stripe.RequestOptions}
  /** The webhook endpoint's `api_version`: none for the default run (the account's version then applies). */
  endpointVersion?: string
}

const RUNS: VersionRun[] = [
  {
    label: '2022-08-01 as a Stripe-Version header on every request',
    version: '2022-08-01',
    client: (running) => ({stripe: sdk(running), options: {apiVersion: '2022-08-01'}}),
    endpointVersion: '2022-08-01',
  },
  {
    label: "2024-06-20 as stripe-node's apiVersion",
    version: '2024-06-20',
    // @ts-expect-error stripe-node types only its pinned version; older ones are what this run is about.
    client: (running) => ({stripe: sdk(running, undefined, {apiVersion: '2024-06-20'}), options: {}}),
    endpointVersion: '2024-06-20',
  },
  {
    label: "2025-02-24.acacia as stripe-node's apiVersion",
    version: '2025-02-24.acacia',
    // @ts-expect-error as above
    client: (running) => ({stripe: sdk(running, undefined, {apiVersion: '2025-02-24.acacia'}), options: {}}),
    endpointVersion: '2025-02-24.acacia',
  },
  {
    label: "stripe-node's default, with an endpoint on the account's version",
    version: Stripe.API_VERSION,
    client: (running) => ({stripe: sdk(running), options: {}}),
  },
]

const before = (version: string, change: string) => version.slice(0, 10) < change

describe('done-script at API versions 2022-08-01, 2024-06-20, 2025-02-24.acacia and the default (SB-V1 – SB-V18)', () => {
  it.each(RUNS)(
    '$label: trial with a forever coupon, upgrade, renewal, cancellation, and its webhooks',
    async (run) => {
      const {stripe, options} = run.client(emulator())
      const preBasil = before(run.version, '2025-03-31')
      const preClover = before(run.version, '2025-09-30')

      const receiver = await webhookReceiver()
      receivers.push(receiver)
      const endpoint = await stripe.webhookEndpoints.create(
        {
          url: receiver.url,
          enabled_events: ['customer.subscription.updated', 'invoice.paid', 'customer.subscription.deleted'],
          ...(run.endpointVersion
            ? {api_version: run.endpointVersion as Stripe.WebhookEndpointCreateParams.ApiVersion}
            : {}),
        },
        options,
      )
      expect(endpoint.api_version).toBe(run.endpointVersion ?? null)
      receiver.useSecret(endpoint.secret ?? '')

      const basic = await stripe.prices.create(
        {
          currency: 'usd',
          unit_amount: 1000,
          recurring: {interval: 'month'},
          product_data: {name: `Basic ${run.label}`},
        },
        options,
      )
      const pro = await stripe.prices.create(
        {currency: 'usd', unit_amount: 2000, recurring: {interval: 'month'}, product_data: {name: `Pro ${run.label}`}},
        options,
      )
      const forever = await stripe.coupons.create({percent_off: 20, duration: 'forever'}, options)
      const {clock, customer} = await clockWithCustomer(stripe)

      // 1. A 14-day trial with the forever coupon: before basil through `coupon`, since through `discounts` (SB-V9).
      const trialEnd = START + 14 * DAY
      const created = (await stripe.subscriptions.create(
        {
          customer: customer.id,
          items: [{price: basic.id}],
          trial_period_days: 14,
          ...(preBasil ? {coupon: forever.id} : {discounts: [{coupon: forever.id}]}),
          expand: [preBasil ? 'latest_invoice.payment_intent' : 'latest_invoice.payments'],
        },
        options,
      )) as unknown as Loose
      expect(created).toMatchObject({status: 'trialing', trial_end: trialEnd})
      const items = created.items as {data: Loose[]}
      if (preBasil) {
        // The period is the subscription's own (SB-V8); the coupon is the one `discount`, expanded (SB-V9, SB-V6).
        expect(created).toMatchObject({current_period_start: START, current_period_end: trialEnd})
        expect(items.data[0]).not.toHaveProperty('current_period_end')
        expect(created.discount).toMatchObject({object: 'discount', coupon: {id: forever.id, object: 'coupon'}})
        expect(created.latest_invoice).toMatchObject({object: 'invoice', paid: true, payment_intent: null})
      } else {
        expect(created).not.toHaveProperty('current_period_end')
        expect(created).not.toHaveProperty('discount')
        expect(items.data[0]).toMatchObject({current_period_start: START, current_period_end: trialEnd})
        expect(created.latest_invoice).toMatchObject({object: 'invoice', payments: {object: 'list'}})
        expect(created.latest_invoice).not.toHaveProperty('paid')
      }
      expect(created.billing_mode).toMatchObject({type: preClover ? 'classic' : 'flexible'}) // SB-26

      // 2. The trial converts: the first paid invoice, 20% off.
      await advance(stripe, clock.id, trialEnd + SETTLED)
      const converted = (await stripe.subscriptions.retrieve(
        created.id as string,
        {expand: [preBasil ? 'latest_invoice.payment_intent' : 'latest_invoice.payments.data.payment.payment_intent']},
        options,
      )) as unknown as Loose
      const firstPaid = converted.latest_invoice as Loose
      expect(converted.status).toBe('active')
      expect(firstPaid).toMatchObject({status: 'paid', amount_paid: 800, billing_reason: 'subscription_cycle'})
      if (preBasil) {
        // The invoice names its subscription, payment and charge at the top level (SB-V10, SB-V11).
        expect(firstPaid).toMatchObject({
          subscription: created.id,
          paid: true,
          paid_out_of_band: false,
          payment_intent: {object: 'payment_intent', status: 'succeeded', invoice: firstPaid.id},
          discount: {coupon: {id: forever.id}},
        })
        expect(firstPaid).not.toHaveProperty('parent')
        const intent = firstPaid.payment_intent as Loose
        expect(firstPaid.charge).toBe(intent.latest_charge)
        if (before(run.version, '2022-11-15'))
          expect(intent.charges).toMatchObject({
            object: 'list',
            data: [{id: intent.latest_charge, invoice: firstPaid.id}],
          })
        else expect(intent).not.toHaveProperty('charges')
      } else {
        expect(firstPaid).toMatchObject({
          parent: {type: 'subscription_details', subscription_details: {subscription: created.id}},
          payments: {data: [{payment: {payment_intent: {object: 'payment_intent', status: 'succeeded'}}}]},
        })
        expect(firstPaid).not.toHaveProperty('payment_intent')
        expect(firstPaid).not.toHaveProperty('subscription')
      }

      // 3. A mid-cycle upgrade with the default prorations, billed on the next invoice.
      const periodEnd = addIntervals(trialEnd, 'month', 1)
      await advance(stripe, clock.id, trialEnd + 10 * DAY)
      const itemId = (items.data[0] as Loose).id as string
      const upgraded = (await stripe.subscriptions.update(
        created.id as string,
        {items: [{id: itemId, price: pro.id}]},
        options,
      )) as unknown as Loose
      expect(upgraded.latest_invoice).toBe(firstPaid.id)
      const pending = (await stripe.invoiceItems.list({customer: customer.id, pending: true}, options))
        .data as unknown as Loose[]
      expect(pending.map((item) => item.proration)).toEqual([true, true])
      for (const item of pending) {
        // Before basil an item names its subscription, item and price at the top level (SB-V10, SB-V20).
        if (preBasil)
          expect(item).toMatchObject({
            subscription: created.id,
            subscription_item: itemId,
            price: {object: 'price'},
            plan: {object: 'plan'},
            unit_amount: expect.any(Number),
          })
        else expect(item).toMatchObject({parent: {subscription_details: {subscription: created.id}}})
      }

      // 4. The next invoice: the prorations first, then the new price; paid.
      await advance(stripe, clock.id, periodEnd + SETTLED)
      const renewed = (await stripe.subscriptions.retrieve(
        created.id as string,
        {expand: ['latest_invoice']},
        options,
      )) as unknown as Loose
      const renewal = renewed.latest_invoice as Loose
      expect(renewal).toMatchObject({status: 'paid', billing_reason: 'subscription_cycle'})
      expect(renewal.amount_paid).toBe(renewal.total)
      const lines = (renewal.lines as {data: Loose[]}).data
      expect(lines).toHaveLength(3)
      if (preBasil) {
        // Lines say what they bill at the top level (SB-V10), their taxes as `tax_amounts` (SB-V16).
        expect(lines.map((line) => [line.type, line.proration, (line.price as Loose).id])).toEqual([
          ['invoiceitem', true, pro.id],
          ['invoiceitem', true, basic.id],
          ['subscription', false, pro.id],
        ])
        expect(lines[2]).toMatchObject({
          subscription_item: itemId,
          plan: {id: pro.id},
          tax_amounts: [],
          amount_excluding_tax: lines[2]?.amount,
        })
        expect(renewal).toMatchObject({tax: null, total_tax_amounts: [], application_fee_amount: null})
        expect(lines[2]).toMatchObject({price: {recurring: {aggregate_usage: null}}, plan: {aggregate_usage: null}})
        expect(renewed).toMatchObject({current_period_start: periodEnd})
      } else {
        expect(lines.map((line) => (line.parent as Loose).type)).toEqual([
          'subscription_item_details',
          'subscription_item_details',
          'subscription_item_details',
        ])
        expect(lines[2]).not.toHaveProperty('price')
        expect((renewed.items as {data: Loose[]}).data[0]).toMatchObject({current_period_start: periodEnd})
      }

      // 5. Cancelled at period end: active until then, then canceled without a renewal.
      const nextEnd = addIntervals(periodEnd, 'month', 1)
      const scheduled = (await stripe.subscriptions.update(
        created.id as string,
        {cancel_at_period_end: true},
        options,
      )) as unknown as Loose
      expect(scheduled).toMatchObject({status: 'active', cancel_at_period_end: true, cancel_at: nextEnd})
      await advance(stripe, clock.id, nextEnd + SETTLED)
      expect(await stripe.subscriptions.retrieve(created.id as string, undefined, options)).toMatchObject({
        status: 'canceled',
        ended_at: nextEnd,
      })

      // Its endpoint got every event in its version, signed (constructEvent verified each one) (SB-V2).
      const deliveries = await receiver.waitFor(1)
      const deleted = await waitForEvent(receiver, 'customer.subscription.deleted')
      expect(receiver.rejected).toEqual([])
      for (const {event} of receiver.received) expect(event.api_version).toBe(run.version)
      const paid = deliveries.map(({event}) => event).filter((event) => event.type === 'invoice.paid')
      expect(paid.length).toBeGreaterThanOrEqual(2)
      const paidInvoice = paid.at(-1)?.data.object as unknown as Loose
      const deletedSubscription = deleted.data.object as unknown as Loose
      if (preBasil) {
        expect(paidInvoice).toMatchObject({paid: true, subscription: created.id})
        expect(deletedSubscription).toHaveProperty('current_period_end')
      } else {
        expect(paidInvoice).toMatchObject({parent: {subscription_details: {subscription: created.id}}})
        expect(deletedSubscription).not.toHaveProperty('current_period_end')
      }
      const updates = receiver.received.filter(({event}) => event.type === 'customer.subscription.updated')
      const conversion = updates.find(
        ({event}) => (event.data.previous_attributes as Loose | undefined)?.status === 'trialing',
      )
      expect(conversion).toBeDefined()
      if (preBasil) expect(conversion?.event.data.previous_attributes).toHaveProperty('current_period_end', trialEnd)
    },
  )
})

async function waitForEvent(
  receiver: Awaited<ReturnType<typeof webhookReceiver>>,
  type: string,
): Promise<Stripe.Event> {
  for (let count = receiver.received.length + 1; ; count++) {
    const found = receiver.received.find(({event}) => event.type === type)
    if (found) return found.event
    await receiver.waitFor(count)
  }
}
