import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {useEmulator} from '../helpers/emulator.js'
import {sdk} from './sdk.js'

/** The flows `stripe trigger` (Stripe CLI 1.52.0) runs, each as its fixture sends it (SB-T). */
const emulator = useEmulator({advanceMs: 0})

/** The types of the events about one object, oldest first, read from /v1/events. */
async function eventTypes(stripe: Stripe, objectId: string): Promise<string[]> {
  const types: string[] = []
  for await (const event of stripe.events.list({limit: 100}))
    if ((event.data.object as {id?: string}).id === objectId) types.push(event.type)
  return types.reverse()
}

/** A customer with a card attached and a 20.00 draft holding one invoice item, as the invoice fixtures make it. */
async function draftWithItem(
  stripe: Stripe,
  card: string,
  extra: Partial<Stripe.InvoiceCreateParams> = {},
): Promise<{invoice: Stripe.Invoice; paymentMethod: Stripe.PaymentMethod}> {
  const customer = await stripe.customers.create({email: 'bob@example.com'})
  const paymentMethod = await stripe.paymentMethods.attach(card, {customer: customer.id})
  await stripe.invoiceItems.create({amount: 2000, currency: 'usd', customer: customer.id})
  const invoice = await stripe.invoices.create({
    customer: customer.id,
    pending_invoice_items_behavior: 'include',
    ...extra,
  })
  expect(invoice).toMatchObject({status: 'draft', amount_due: 2000})
  return {invoice, paymentMethod}
}

describe('emulator: paying or sending a draft finalizes it first (SB-T1)', () => {
  it('invoices.pay on a draft finalizes it, then charges the card it names: invoice.paid and payment_succeeded', async () => {
    const stripe = sdk(emulator())
    const {invoice, paymentMethod} = await draftWithItem(stripe, 'pm_card_visa')
    const paid = await stripe.invoices.pay(invoice.id, {payment_method: paymentMethod.id})
    expect(paid).toMatchObject({status: 'paid', amount_paid: 2000})
    expect(paid.number).not.toBeNull()
    expect(paid.status_transitions.finalized_at).not.toBeNull()
    expect(await eventTypes(stripe, invoice.id)).toEqual([
      'invoice.created',
      'invoice.finalized',
      'invoice.paid',
      'invoice.payment_succeeded',
    ])
  })

  it('a declined card: a 402, and the finalized invoice stays open with invoice.payment_failed', async () => {
    const stripe = sdk(emulator())
    const {invoice, paymentMethod} = await draftWithItem(stripe, 'pm_card_chargeCustomerFail')
    await expect(stripe.invoices.pay(invoice.id, {payment_method: paymentMethod.id})).rejects.toMatchObject({
      statusCode: 402,
      code: 'card_declined',
    })
    expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({status: 'open', attempt_count: 1})
    expect(await eventTypes(stripe, invoice.id)).toEqual([
      'invoice.created',
      'invoice.finalized',
      'invoice.payment_failed',
    ])
  })

  it('a card asking for 3-D Secure: a 402, and invoice.payment_action_required (SB-K9)', async () => {
    const stripe = sdk(emulator())
    const {invoice, paymentMethod} = await draftWithItem(stripe, 'pm_card_threeDSecure2Required')
    await expect(stripe.invoices.pay(invoice.id, {payment_method: paymentMethod.id})).rejects.toMatchObject({
      statusCode: 402,
      code: 'invoice_payment_intent_requires_action',
    })
    expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({status: 'open'})
    expect(await eventTypes(stripe, invoice.id)).toEqual([
      'invoice.created',
      'invoice.finalized',
      'invoice.payment_action_required',
    ])
  })

  it('invoices.send on a send_invoice draft finalizes it with its due date, then emits invoice.sent', async () => {
    const stripe = sdk(emulator())
    const {invoice} = await draftWithItem(stripe, 'pm_card_visa', {
      collection_method: 'send_invoice',
      days_until_due: 7,
    })
    const sent = await stripe.invoices.sendInvoice(invoice.id)
    expect(sent).toMatchObject({status: 'open', amount_paid: 0})
    expect(sent.due_date).toBe((sent.status_transitions.finalized_at ?? 0) + 7 * 86_400)
    expect(await eventTypes(stripe, invoice.id)).toEqual(['invoice.created', 'invoice.finalized', 'invoice.sent'])
  })
})

describe('emulator: what the refund and trial triggers fire (SB-T2, SB-T3)', () => {
  it("updating a card refund's metadata emits refund.updated, then charge.refund.updated", async () => {
    const stripe = sdk(emulator())
    const intent = await stripe.paymentIntents.create({
      amount: 100,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    const refund = await stripe.refunds.create({payment_intent: intent.id})
    await stripe.refunds.update(refund.id, {metadata: {order_id: '6735'}})
    expect(await eventTypes(stripe, refund.id)).toEqual(['refund.created', 'refund.updated', 'charge.refund.updated'])
    const [event] = (await stripe.events.list({type: 'charge.refund.updated', limit: 1})).data
    expect(event?.data.previous_attributes).toEqual({metadata: {}})
  })

  it('trial_end=now without a payment method and missing_payment_method=pause pauses the subscription', async () => {
    const stripe = sdk(emulator())
    const customer = await stripe.customers.create({})
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1500,
      recurring: {interval: 'month'},
      product_data: {name: 'myproduct'},
    })
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      trial_period_days: 7,
      trial_settings: {end_behavior: {missing_payment_method: 'pause'}},
    })
    expect(sub.status).toBe('trialing')
    const paused = await stripe.subscriptions.update(sub.id, {trial_end: 'now'})
    expect(paused).toMatchObject({status: 'paused'})
    const types = await eventTypes(stripe, sub.id)
    expect(types).toContain('customer.subscription.trial_will_end')
    expect(types.at(-1)).toBe('customer.subscription.paused')
    expect((await stripe.invoices.list({subscription: sub.id})).data.map((invoice) => invoice.billing_reason)).toEqual([
      'subscription_create',
    ])
  })
})
