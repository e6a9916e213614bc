import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {useEmulator} from '../helpers/emulator.js'
import {HOUR, START, advance, clockWithCustomer, sdk} from './sdk.js'

const emulator = useEmulator({advanceMs: 0})

/** The types of the events about one object, oldest first, read from /v1/events. */
async function eventTypes(stripe: Stripe, objectId: string): Promise<string[]> {
  const types: string[] = []
  for await (const event of stripe.events.list({limit: 100}))
    if ((event.data.object as {id?: string}).id === objectId) types.push(event.type)
  return types.reverse()
}

async function payingCustomer(stripe: Stripe, paymentMethod = 'pm_card_visa') {
  return stripe.customers.create({
    email: 'one-off@example.com',
    payment_method: paymentMethod,
    invoice_settings: {default_payment_method: paymentMethod},
  })
}

describe('emulator: invoices created by hand and their invoice items (SB-71, SB-35, SB-39)', () => {
  it('creates a draft with auto_advance false and billing_reason manual, leaving pending items out by default; an item with `invoice` lands on it', async () => {
    const stripe = sdk(emulator())
    const customer = await payingCustomer(stripe)
    const pending = await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 700,
      currency: 'usd',
      description: 'Setup fee',
    })
    const invoice = await stripe.invoices.create({
      customer: customer.id,
      currency: 'usd',
      metadata: {order: '42'},
      description: 'Consulting',
    })
    expect(invoice).toMatchObject({
      status: 'draft',
      auto_advance: false,
      automatically_finalizes_at: null,
      billing_reason: 'manual',
      parent: null,
      amount_due: 0,
      currency: 'usd',
      metadata: {order: '42'},
      description: 'Consulting',
    })
    expect(invoice.lines.data).toEqual([])
    expect((await stripe.invoiceItems.retrieve(pending.id)).invoice).toBeNull()

    const first = await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: invoice.id,
      amount: 2500,
      description: 'Workshop',
    })
    const second = await stripe.invoiceItems.create({invoice: invoice.id, amount: 1500, description: 'Travel'})
    expect(first).toMatchObject({invoice: invoice.id, currency: 'usd', customer: customer.id})
    const draft = await stripe.invoices.retrieve(invoice.id)
    // Items added after creation come last, oldest first (SB-36).
    expect(draft.lines.data.map((line) => [line.description, line.amount])).toEqual([
      ['Workshop', 2500],
      ['Travel', 1500],
    ])
    expect(draft).toMatchObject({subtotal: 4000, total: 4000, amount_due: 4000})
    expect((await stripe.invoiceItems.list({invoice: invoice.id})).data.map((item) => item.id)).toEqual([
      second.id,
      first.id,
    ])
    expect(await eventTypes(stripe, invoice.id)).toEqual(['invoice.created', 'invoice.updated', 'invoice.updated'])
    expect(await eventTypes(stripe, first.id)).toEqual(['invoiceitem.created'])
  })

  it("lists an invoice's lines in its own order with Stripe's cursors (invoices.listLineItems)", async () => {
    const stripe = sdk(emulator())
    const customer = await payingCustomer(stripe)
    const invoice = await stripe.invoices.create({customer: customer.id, currency: 'usd'})
    for (let i = 1; i <= 12; i++)
      await stripe.invoiceItems.create({invoice: invoice.id, amount: i * 100, description: `Item ${i}`})
    const first = await stripe.invoices.listLineItems(invoice.id)
    expect(first.data.map((line) => line.description)).toEqual(Array.from({length: 10}, (_, i) => `Item ${i + 1}`))
    expect(first.has_more).toBe(true)
    const all: string[] = []
    for await (const line of stripe.invoices.listLineItems(invoice.id, {limit: 5})) all.push(line.description ?? '')
    expect(all).toEqual(Array.from({length: 12}, (_, i) => `Item ${i + 1}`))
  })

  it('finalizing by hand numbers it and charges nothing without auto_advance; pay charges the default card (SB-35, SB-38, SB-69)', async () => {
    const stripe = sdk(emulator())
    const customer = await payingCustomer(stripe)
    const invoice = await stripe.invoices.create({customer: customer.id, currency: 'usd'})
    await stripe.invoiceItems.create({invoice: invoice.id, amount: 4200})
    const open = await stripe.invoices.finalizeInvoice(invoice.id)
    expect(open).toMatchObject({status: 'open', amount_due: 4200, amount_paid: 0, attempt_count: 0})
    expect(open.number).toMatch(/-0001$/)
    const paid = await stripe.invoices.pay(invoice.id)
    expect(paid).toMatchObject({status: 'paid', amount_paid: 4200, amount_remaining: 0, attempt_count: 1})
    const payments = await stripe.invoicePayments.list({invoice: invoice.id})
    const intent = await stripe.paymentIntents.retrieve(payments.data[0]?.payment.payment_intent as string)
    expect(intent).toMatchObject({status: 'succeeded', amount: 4200, customer: customer.id})
    expect(await eventTypes(stripe, invoice.id)).toEqual([
      'invoice.created',
      'invoice.updated',
      'invoice.finalized',
      'invoice.paid',
      'invoice.payment_succeeded',
    ])
  })

  it('finalizing with auto_advance=true charges at once; a failing card leaves it open with no retry scheduled', async () => {
    const stripe = sdk(emulator())
    const good = await payingCustomer(stripe)
    const invoice = await stripe.invoices.create({customer: good.id, currency: 'usd', auto_advance: true})
    expect(invoice.auto_advance).toBe(true)
    await stripe.invoiceItems.create({invoice: invoice.id, amount: 900})
    expect(await stripe.invoices.finalizeInvoice(invoice.id)).toMatchObject({status: 'paid', amount_paid: 900})

    const failing = await payingCustomer(stripe, 'pm_card_chargeCustomerFail')
    const unpaid = await stripe.invoices.create({customer: failing.id, currency: 'usd'})
    await stripe.invoiceItems.create({invoice: unpaid.id, amount: 900})
    await stripe.invoices.finalizeInvoice(unpaid.id)
    await expect(stripe.invoices.pay(unpaid.id)).rejects.toMatchObject({statusCode: 402, code: 'card_declined'})
    expect(await stripe.invoices.retrieve(unpaid.id)).toMatchObject({
      status: 'open',
      amount_paid: 0,
      attempt_count: 1,
      next_payment_attempt: null,
    })
    expect(await eventTypes(stripe, unpaid.id)).toEqual([
      'invoice.created',
      'invoice.updated',
      'invoice.finalized',
      'invoice.payment_failed',
    ])
  })

  it('on a test clock, auto_advance=true finalizes and charges the draft an hour after creation (SB-32, SB-71)', async () => {
    const stripe = sdk(emulator())
    const {clock, customer} = await clockWithCustomer(stripe, START)
    const draft = await stripe.invoices.create({customer: customer.id, currency: 'usd', auto_advance: true})
    expect(draft).toMatchObject({status: 'draft', automatically_finalizes_at: START + HOUR})
    await stripe.invoiceItems.create({invoice: draft.id, amount: 1800})
    await advance(stripe, clock.id, START + HOUR - 60)
    expect((await stripe.invoices.retrieve(draft.id)).status).toBe('draft')
    await advance(stripe, clock.id, START + HOUR + 60)
    expect(await stripe.invoices.retrieve(draft.id)).toMatchObject({
      status: 'paid',
      amount_paid: 1800,
      attempt_count: 1,
    })
    // Without auto_advance a draft on the clock stays a draft however far it moves.
    const manual = await stripe.invoices.create({customer: customer.id, currency: 'usd'})
    await advance(stripe, clock.id, START + 3 * HOUR)
    expect((await stripe.invoices.retrieve(manual.id)).status).toBe('draft')
  })

  it("pending_invoice_items_behavior=include takes the customer's pending items; with `subscription`, only that subscription's, leaving its status alone (SB-39, SB-71)", async () => {
    const stripe = sdk(emulator())
    const customer = await payingCustomer(stripe)
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1000,
      recurring: {interval: 'month'},
      product_data: {name: 'Seat'},
    })
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const loose = await stripe.invoiceItems.create({customer: customer.id, amount: 300})
    const forSub = await stripe.invoiceItems.create({customer: customer.id, amount: 500, subscription: sub.id})

    const subInvoice = await stripe.invoices.create({
      customer: customer.id,
      subscription: sub.id,
      pending_invoice_items_behavior: 'include',
    })
    expect(subInvoice).toMatchObject({billing_reason: 'manual', amount_due: 500})
    expect(subInvoice.parent?.subscription_details?.subscription).toBe(sub.id)
    expect(subInvoice.lines.data.map((line) => line.parent?.invoice_item_details?.invoice_item)).toEqual([forSub.id])
    expect((await stripe.invoiceItems.retrieve(loose.id)).invoice).toBeNull()
    const after = await stripe.subscriptions.retrieve(sub.id)
    expect(after.latest_invoice).toBe(sub.latest_invoice)

    const rest = await stripe.invoices.create({customer: customer.id, pending_invoice_items_behavior: 'include'})
    expect(rest.lines.data.map((line) => line.parent?.invoice_item_details?.invoice_item)).toEqual([loose.id])
    // A subscription's invoice, even a hand-made one, is voided, never deleted (SB-35).
    await expect(stripe.invoices.del(subInvoice.id)).rejects.toMatchObject({statusCode: 400})
  })

  it('deletes a one-off draft (invoice.deleted), refuses a finalized one, and refuses what it does not model', async () => {
    const stripe = sdk(emulator())
    const customer = await payingCustomer(stripe)
    const invoice = await stripe.invoices.create({customer: customer.id, currency: 'usd'})
    const item = await stripe.invoiceItems.create({invoice: invoice.id, amount: 100})
    await expect(stripe.invoices.del(invoice.id)).rejects.toMatchObject({
      statusCode: 501,
      code: 'emulator_not_modelled',
    })
    // Deleting the item takes its line off the draft.
    expect(await stripe.invoiceItems.del(item.id)).toMatchObject({id: item.id, deleted: true})
    expect((await stripe.invoices.retrieve(invoice.id)).lines.data).toEqual([])
    expect(await stripe.invoices.del(invoice.id)).toEqual({id: invoice.id, object: 'invoice', deleted: true})
    await expect(stripe.invoices.retrieve(invoice.id)).rejects.toMatchObject({statusCode: 404})
    expect(await eventTypes(stripe, invoice.id)).toEqual([
      'invoice.created',
      'invoice.updated',
      'invoice.updated',
      'invoice.deleted',
    ])

    const final = await stripe.invoices.create({customer: customer.id, currency: 'usd'})
    await stripe.invoices.finalizeInvoice(final.id)
    await expect(stripe.invoices.del(final.id)).rejects.toMatchObject({statusCode: 400})
    await expect(stripe.invoiceItems.create({invoice: final.id, amount: 100})).rejects.toMatchObject({
      statusCode: 400,
      param: 'invoice',
    })
    // Nothing is coming for a customer without subscriptions or pending items (SB-U12).
    await expect(stripe.invoices.createPreview({customer: customer.id})).rejects.toMatchObject({
      statusCode: 404,
      code: 'invoice_upcoming_none',
    })
    await expect(
      stripe.invoices.create({customer: customer.id, currency: 'usd', days_until_due: 30}),
    ).rejects.toMatchObject({statusCode: 400, param: 'days_until_due'})
  })

  it('void and mark_uncollectible work on hand-made invoices; paid and void are final (SB-35)', async () => {
    const stripe = sdk(emulator())
    const customer = await payingCustomer(stripe)
    const toVoid = await stripe.invoices.create({customer: customer.id, currency: 'usd'})
    await stripe.invoiceItems.create({invoice: toVoid.id, amount: 1200})
    await expect(stripe.invoices.voidInvoice(toVoid.id)).rejects.toMatchObject({statusCode: 400})
    await stripe.invoices.finalizeInvoice(toVoid.id)
    expect(await stripe.invoices.voidInvoice(toVoid.id)).toMatchObject({status: 'void', amount_remaining: 0})
    await expect(stripe.invoices.pay(toVoid.id)).rejects.toMatchObject({statusCode: 400})

    const bad = await stripe.invoices.create({customer: customer.id, currency: 'usd'})
    await stripe.invoiceItems.create({invoice: bad.id, amount: 1200})
    await stripe.invoices.finalizeInvoice(bad.id)
    const uncollectible = await stripe.invoices.markUncollectible(bad.id)
    expect(uncollectible.status).toBe('uncollectible')
    expect(await stripe.invoices.voidInvoice(bad.id)).toMatchObject({status: 'void'})
    expect(await eventTypes(stripe, bad.id)).toEqual([
      'invoice.created',
      'invoice.updated',
      'invoice.finalized',
      'invoice.marked_uncollectible',
      'invoice.voided',
    ])
  })

  it('send_invoice: finalized by hand it waits; invoices.send emits invoice.sent and leaves it open (SB-70)', async () => {
    const stripe = sdk(emulator())
    const customer = await payingCustomer(stripe)
    const invoice = await stripe.invoices.create({
      customer: customer.id,
      currency: 'usd',
      collection_method: 'send_invoice',
      days_until_due: 14,
    })
    await stripe.invoiceItems.create({invoice: invoice.id, amount: 5000})
    const open = await stripe.invoices.finalizeInvoice(invoice.id)
    expect(open).toMatchObject({
      status: 'open',
      collection_method: 'send_invoice',
      due_date: (open.status_transitions.finalized_at ?? 0) + 14 * 86_400,
    })
    expect(await stripe.invoices.sendInvoice(invoice.id)).toMatchObject({status: 'open'})
    expect(await eventTypes(stripe, invoice.id)).toEqual([
      'invoice.created',
      'invoice.updated',
      'invoice.finalized',
      'invoice.sent',
    ])
  })

  it("updates an invoice's metadata and an item's amount; on a draft the invoice announces the new total, a pending item announces nothing", async () => {
    const stripe = sdk(emulator())
    const customer = await payingCustomer(stripe)
    const pending = await stripe.invoiceItems.create({customer: customer.id, amount: 100, currency: 'usd'})
    expect(await stripe.invoiceItems.update(pending.id, {amount: 150, metadata: {k: 'v'}})).toMatchObject({
      amount: 150,
      metadata: {k: 'v'},
    })
    expect(await eventTypes(stripe, pending.id)).toEqual(['invoiceitem.created'])

    const invoice = await stripe.invoices.create({customer: customer.id, currency: 'usd'})
    const item = await stripe.invoiceItems.create({invoice: invoice.id, amount: 100})
    await stripe.invoiceItems.update(item.id, {amount: 250})
    expect(await stripe.invoices.update(invoice.id, {metadata: {po: '7'}})).toMatchObject({
      amount_due: 250,
      metadata: {po: '7'},
    })
    const events = await stripe.events.list({type: 'invoice.updated', limit: 2})
    expect(events.data.map((event) => event.data.previous_attributes)).toEqual([
      {metadata: {}},
      expect.objectContaining({amount_due: 100, total: 100}),
    ])
  })

  it('expands through empty arrays as Stripe does', async () => {
    const stripe = sdk(emulator())
    const customer = await payingCustomer(stripe)
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1000,
      recurring: {interval: 'month'},
      product_data: {name: 'Plain'},
    })
    await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const listed = await stripe.subscriptions.list({
      customer: customer.id,
      expand: ['data.discounts.source.coupon', 'data.latest_invoice.discounts'],
    })
    expect(listed.data[0]?.discounts).toEqual([])
    expect((listed.data[0]?.latest_invoice as Stripe.Invoice).discounts).toEqual([])
  })
})
