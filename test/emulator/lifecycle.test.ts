import {describe, expect, it} from 'vitest'

import {addIntervals} from '../../src/billing-time.js'
import {useEmulator} from '../helpers/emulator.js'
import {recordingSink} from './events.js'
import {DAY, HOUR, START, advance, clockWithCustomer, invoice, monthlyPrice, sdk} from './sdk.js'

const sink = recordingSink()
const emulator = useEmulator({advanceMs: 0, events: sink})
const FEB_1 = addIntervals(START, 'month', 1)
const MAR_1 = addIntervals(START, 'month', 2)

async function subscribed(card: string | null = 'pm_card_visa', unitAmount = 1000) {
  const stripe = sdk(emulator())
  const price = await monthlyPrice(stripe, unitAmount)
  const {clock, customer} = await clockWithCustomer(stripe, START, card)
  return {stripe, price, clock, customer}
}

describe('emulator: a failing first payment', () => {
  it('allow_incomplete: incomplete, then incomplete_expired after 23 hours with the invoice voided (SB-28, SB-29)', async () => {
    const {stripe, price, clock, customer} = await subscribed('pm_card_chargeCustomerFail')
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    expect(sub.status).toBe('incomplete')
    expect(await invoice(stripe, sub.latest_invoice)).toMatchObject({
      status: 'open',
      attempt_count: 1,
      amount_paid: 0,
      next_payment_attempt: null,
    })
    await expect(
      stripe.subscriptions.update(sub.id, {items: [{id: sub.items.data[0]!.id, quantity: 2}]}),
    ).rejects.toMatchObject({statusCode: 400})
    await expect(stripe.subscriptions.update(sub.id, {metadata: {note: 'ok'}})).resolves.toMatchObject({
      status: 'incomplete',
    })
    await advance(stripe, clock.id, START + 22 * HOUR)
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('incomplete')
    await advance(stripe, clock.id, START + 24 * HOUR)
    expect(await stripe.subscriptions.retrieve(sub.id)).toMatchObject({
      status: 'incomplete_expired',
      ended_at: START + 23 * HOUR,
    })
    expect(await invoice(stripe, sub.latest_invoice)).toMatchObject({status: 'void'})
    // Not canceled, so listed by default; `ended` covers canceled and expired ones (SB-8).
    expect((await stripe.subscriptions.list({test_clock: clock.id})).data.map((s) => s.status)).toEqual([
      'incomplete_expired',
    ])
    expect((await stripe.subscriptions.list({test_clock: clock.id, status: 'ended'})).data.map((s) => s.id)).toEqual([
      sub.id,
    ])
    await advance(stripe, clock.id, FEB_1 + 2 * HOUR)
    expect((await stripe.invoices.list({subscription: sub.id})).data).toHaveLength(1) // no more invoices
  })

  it('paying the first invoice with a working card makes it active (SB-29, SB-38)', async () => {
    const {stripe, price, customer} = await subscribed('pm_card_chargeCustomerFail')
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const good = await stripe.paymentMethods.attach('pm_card_visa', {customer: customer.id})
    const paid = await stripe.invoices.pay(sub.latest_invoice as string, {payment_method: good.id})
    expect(paid).toMatchObject({status: 'paid', amount_paid: 1000, attempt_count: 1}) // the first attempt, then automatic ones only (SB-33)
    expect(await stripe.subscriptions.retrieve(sub.id)).toMatchObject({status: 'active'})
    const types = sink.of(paid.id).map((change) => change.type)
    expect(types.filter((type) => type === 'invoice.paid' || type === 'invoice.payment_succeeded')).toEqual([
      'invoice.paid',
      'invoice.payment_succeeded',
    ])
  })

  it('error_if_incomplete: a 402 and nothing created; default_incomplete: incomplete without a charge; pending_if_incomplete: only on update (SB-28)', async () => {
    const {stripe, price, customer} = await subscribed('pm_card_chargeCustomerFail')
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{price: price.id}],
        payment_behavior: 'error_if_incomplete',
      }),
    ).rejects.toMatchObject({statusCode: 402, type: 'StripeCardError'})
    expect(
      (
        await stripe.subscriptions.list({
          customer: customer.id,
          test_clock: customer.test_clock as string,
          status: 'all',
        })
      ).data,
    ).toEqual([])
    const pending = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      payment_behavior: 'default_incomplete',
    })
    expect(pending.status).toBe('incomplete')
    expect(await invoice(stripe, pending.latest_invoice)).toMatchObject({status: 'open', attempt_count: 0})
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{price: price.id}],
        payment_behavior: 'pending_if_incomplete',
      }),
    ).rejects.toMatchObject({statusCode: 400, param: 'payment_behavior'})
  })
})

describe('emulator: payments', () => {
  it('a finalized invoice is paid through a PaymentIntent and its default InvoicePayment; a charge records each attempt (SB-69)', async () => {
    const {stripe, price, clock, customer} = await subscribed()
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const first = await stripe.invoices.retrieve(sub.latest_invoice as string, {expand: ['payments']})
    expect('payments' in (await invoice(stripe, first.id))).toBe(false) // includable: only when expanded
    const payment = first.payments!.data[0]!
    expect(payment).toMatchObject({
      object: 'invoice_payment',
      is_default: true,
      status: 'paid',
      amount_paid: 1000,
      amount_requested: 1000,
      invoice: first.id,
      payment: {type: 'payment_intent'},
    })
    const intent = await stripe.paymentIntents.retrieve(payment.payment.payment_intent as string)
    expect(intent).toMatchObject({status: 'succeeded', amount: 1000, amount_received: 1000, customer: customer.id})
    expect(await stripe.charges.retrieve(intent.latest_charge as string)).toMatchObject({
      status: 'succeeded',
      paid: true,
      amount: 1000,
      payment_intent: intent.id,
    })

    const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {customer: customer.id})
    await stripe.customers.update(customer.id, {invoice_settings: {default_payment_method: failing.id}})
    await advance(stripe, clock.id, FEB_1 + 2 * HOUR)
    const renewal = await stripe.invoices.retrieve(
      (await stripe.subscriptions.retrieve(sub.id)).latest_invoice as string,
      {expand: ['payments.data.payment.payment_intent']},
    )
    const open = renewal.payments!.data[0]!
    expect(open).toMatchObject({status: 'open', amount_paid: null})
    const declined = open.payment.payment_intent as unknown as {
      status: string
      last_payment_error: {code: string}
      latest_charge: string
    }
    expect(declined).toMatchObject({status: 'requires_payment_method', last_payment_error: {code: 'card_declined'}})
    expect(await stripe.charges.retrieve(declined.latest_charge)).toMatchObject({
      status: 'failed',
      paid: false,
      failure_code: 'card_declined',
    })
    await stripe.invoices.voidInvoice(renewal.id)
    expect(
      await stripe.paymentIntents.retrieve((open.payment.payment_intent as unknown as {id: string}).id),
    ).toMatchObject({status: 'canceled', cancellation_reason: 'void_invoice'})
    expect((await stripe.invoicePayments.list({invoice: renewal.id})).data.map((p) => p.status)).toEqual(['canceled'])
  })
})

describe('emulator: cancellation and pausing', () => {
  it('cancel with prorate credits the unused time; with neither prorate nor invoice_now pending prorations are removed (SB-62)', async () => {
    const {stripe, price, clock, customer} = await subscribed()
    const a = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const b = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    await advance(stripe, clock.id, START + 15 * DAY + 12 * HOUR)
    await stripe.subscriptions.cancel(a.id, {prorate: true})
    const credits = (await stripe.invoiceItems.list({customer: customer.id, pending: true})).data
    expect(
      credits.map((item) => [item.amount, item.proration, item.parent?.subscription_details?.subscription]),
    ).toEqual([[-500, true, a.id]])
    await stripe.subscriptions.update(b.id, {items: [{id: b.items.data[0]!.id, quantity: 2}]})
    expect((await stripe.invoiceItems.list({customer: customer.id, pending: true})).data).toHaveLength(3)
    await stripe.subscriptions.cancel(b.id)
    expect(
      (await stripe.invoiceItems.list({customer: customer.id, pending: true})).data.map((item) => item.id),
    ).toEqual(credits.map((item) => item.id))
  })

  it("a canceled subscription takes only metadata and cancellation_details; cancel stops collection of all the customer's open invoices (SB-62, SB-64)", async () => {
    const {stripe, price, clock, customer} = await subscribed()
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const other = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {customer: customer.id})
    await stripe.customers.update(customer.id, {invoice_settings: {default_payment_method: failing.id}})
    await advance(stripe, clock.id, FEB_1 + 2 * HOUR)
    const pastDue = await stripe.subscriptions.retrieve(sub.id)
    expect(pastDue.status).toBe('past_due')
    expect((await invoice(stripe, pastDue.latest_invoice)).next_payment_attempt).not.toBeNull()
    const canceled = await stripe.subscriptions.cancel(sub.id, {
      cancellation_details: {comment: 'moving on', feedback: 'switched_service'},
    })
    expect(canceled).toMatchObject({
      status: 'canceled',
      cancellation_details: {comment: 'moving on', feedback: 'switched_service', reason: 'cancellation_requested'},
    })
    expect(await invoice(stripe, pastDue.latest_invoice)).toMatchObject({
      status: 'open',
      next_payment_attempt: null,
      auto_advance: false,
    })
    // The customer's other subscription stays, but its open invoice is no longer collected either.
    const untouched = await stripe.subscriptions.retrieve(other.id)
    expect(untouched.status).toBe('past_due')
    expect(await invoice(stripe, untouched.latest_invoice)).toMatchObject({
      status: 'open',
      next_payment_attempt: null,
      auto_advance: false,
    })
    await expect(stripe.subscriptions.update(sub.id, {cancel_at_period_end: true})).rejects.toMatchObject({
      statusCode: 400,
    })
    await expect(stripe.subscriptions.update(sub.id, {metadata: {after: 'yes'}})).resolves.toMatchObject({
      metadata: {after: 'yes'},
    })
  })

  it('cancel_at_period_end with pending prorations is refused (SB-62)', async () => {
    const {stripe, price, clock, customer} = await subscribed()
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    await advance(stripe, clock.id, START + 10 * DAY)
    await stripe.subscriptions.update(sub.id, {items: [{id: sub.items.data[0]!.id, quantity: 2}]})
    await expect(stripe.subscriptions.update(sub.id, {cancel_at_period_end: true})).rejects.toMatchObject({
      statusCode: 501,
    })
  })

  it('the pause endpoint pauses now and credits the unused time; resume starts a new period billed at once (SB-66)', async () => {
    const {stripe, price, clock, customer} = await subscribed()
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    await advance(stripe, clock.id, START + 15 * DAY + 12 * HOUR)
    const paused = await stripe.subscriptions.pause(sub.id)
    expect(paused).toMatchObject({
      status: 'paused',
      status_details: {paused: {subscription: {type: 'pause_requested'}, type: 'subscription'}},
    })
    expect(
      (await stripe.invoiceItems.list({customer: customer.id, pending: true})).data.map((item) => item.amount),
    ).toEqual([-500])
    await advance(stripe, clock.id, MAR_1)
    expect((await stripe.invoices.list({subscription: sub.id})).data).toHaveLength(1) // paused: no renewals
    const resumed = await stripe.subscriptions.resume(sub.id)
    expect(resumed).toMatchObject({status: 'active', billing_cycle_anchor: MAR_1})
    // The resumption invoice takes the pending credit: 1000 − 500.
    expect(await invoice(stripe, resumed.latest_invoice)).toMatchObject({status: 'paid', total: 500, amount_paid: 500})
    await expect(stripe.subscriptions.resume(sub.id)).rejects.toMatchObject({statusCode: 400})
    await expect(
      stripe.subscriptions.resume(sub.id, {billing_cycle_anchor: {type: 'unchanged'}}),
    ).rejects.toMatchObject({statusCode: 501})
  })

  it('pause_collection keeps the status and the invoices: kept as draft, marked uncollectible or voided, until resumes_at (SB-65, SB-40)', async () => {
    const {stripe, price, clock, customer} = await subscribed()
    const draft = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const uncollectible = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const voided = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    await stripe.subscriptions.update(draft.id, {
      pause_collection: {behavior: 'keep_as_draft', resumes_at: FEB_1 + DAY},
    })
    await stripe.subscriptions.update(uncollectible.id, {pause_collection: {behavior: 'mark_uncollectible'}})
    const paused = await stripe.subscriptions.update(voided.id, {pause_collection: {behavior: 'void'}})
    expect(paused).toMatchObject({status: 'active', pause_collection: {behavior: 'void', resumes_at: null}})
    await advance(stripe, clock.id, FEB_1 + 2 * HOUR)
    const latest = async (id: string) => invoice(stripe, (await stripe.subscriptions.retrieve(id)).latest_invoice)
    expect(await latest(draft.id)).toMatchObject({
      status: 'draft',
      auto_advance: false,
      billing_reason: 'subscription_cycle',
    })
    expect(await latest(uncollectible.id)).toMatchObject({
      status: 'uncollectible',
      status_details: {uncollectible: {reason: 'subscription_paused'}},
    })
    expect(await latest(voided.id)).toMatchObject({status: 'void'})
    expect(
      (await stripe.subscriptions.list({customer: customer.id, test_clock: clock.id})).data.map((s) => s.status),
    ).toEqual(['active', 'active', 'active'])
    await advance(stripe, clock.id, FEB_1 + 2 * DAY)
    expect((await stripe.subscriptions.retrieve(draft.id)).pause_collection).toBeNull()
    await advance(stripe, clock.id, MAR_1 + 2 * HOUR)
    expect(await latest(draft.id)).toMatchObject({status: 'paid', amount_paid: 1000})
  })

  it('an invoice marked uncollectible through the API says the user forgave it (SB-40)', async () => {
    const {stripe, price, clock, customer} = await subscribed()
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {customer: customer.id})
    await stripe.customers.update(customer.id, {invoice_settings: {default_payment_method: failing.id}})
    await advance(stripe, clock.id, FEB_1 + 2 * HOUR)
    const open = await invoice(stripe, (await stripe.subscriptions.retrieve(sub.id)).latest_invoice)
    expect(open.status).toBe('open')
    expect(open.status_details).toBeUndefined()
    expect(await stripe.invoices.markUncollectible(open.id)).toMatchObject({
      status: 'uncollectible',
      status_details: {uncollectible: {reason: 'user_forgiven'}},
    })
  })
})

describe('emulator: customers and currencies', () => {
  it('a customer bills in one currency while it has a live subscription (SB-31)', async () => {
    const {stripe, price, customer} = await subscribed()
    const euros = await monthlyPrice(stripe, 900, 'Euro plan', {interval: 'month'}, 'eur')
    const usd = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    expect((await stripe.customers.retrieve(customer.id)) as {currency: string}).toMatchObject({currency: 'usd'})
    await expect(
      stripe.subscriptions.create({customer: customer.id, items: [{price: euros.id}]}),
    ).rejects.toMatchObject({statusCode: 400, param: 'currency'})
    await stripe.subscriptions.cancel(usd.id)
    await expect(
      stripe.subscriptions.create({customer: customer.id, items: [{price: euros.id}]}),
    ).resolves.toMatchObject({currency: 'eur', status: 'active'})
    expect((await stripe.customers.retrieve(customer.id)) as {currency: string}).toMatchObject({currency: 'eur'})
  })
})

describe('emulator: send_invoice', () => {
  it('invoices are sent with a due date, never charged; unpaid at the due date the subscription goes past_due (SB-70)', async () => {
    const {stripe, price, clock, customer} = await subscribed()
    await expect(
      stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}], days_until_due: 30}),
    ).rejects.toMatchObject({statusCode: 400, param: 'days_until_due'})
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{price: price.id}],
        collection_method: 'send_invoice',
      }),
    ).rejects.toMatchObject({statusCode: 501})
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      collection_method: 'send_invoice',
      days_until_due: 30,
    })
    expect(sub).toMatchObject({status: 'active', collection_method: 'send_invoice', days_until_due: 30})
    expect(await invoice(stripe, sub.latest_invoice)).toMatchObject({
      status: 'draft',
      collection_method: 'send_invoice',
      due_date: null,
    })
    await advance(stripe, clock.id, START + 2 * HOUR)
    const sent = await invoice(stripe, sub.latest_invoice)
    expect(sent).toMatchObject({
      status: 'open',
      due_date: START + HOUR + 30 * DAY,
      attempt_count: 0,
      next_payment_attempt: null,
    })
    expect(sink.of(sent.id).map((change) => change.type)).toContain('invoice.sent')
    await advance(stripe, clock.id, START + HOUR + 30 * DAY + 60)
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due')
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({delinquent: true})
    await stripe.invoices.pay(sent.id, {paid_out_of_band: true})
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active')
  })
})

describe('emulator: invoices', () => {
  it("paid and void are final; a subscription's invoice cannot be deleted; paid_out_of_band fires invoice.paid only (SB-35, SB-38)", async () => {
    const {stripe, price, customer} = await subscribed('pm_card_chargeCustomerFail')
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const open = sub.latest_invoice as string
    await expect(stripe.invoices.del(open)).rejects.toMatchObject({statusCode: 400})
    const paid = await stripe.invoices.pay(open, {paid_out_of_band: true})
    expect(paid).toMatchObject({status: 'paid', attempt_count: 1})
    expect(
      sink
        .of(open)
        .map((change) => change.type)
        .filter((type) => type.startsWith('invoice.pa')),
    ).toEqual(['invoice.payment_failed', 'invoice.paid'])
    await expect(stripe.invoices.voidInvoice(open)).rejects.toMatchObject({statusCode: 400})
    await expect(stripe.invoices.pay(open)).rejects.toMatchObject({statusCode: 400})
  })
})

describe('emulator: invoice items', () => {
  it("a pending invoice item lands on the customer's next invoice; once on an invoice it cannot be deleted (SB-39)", async () => {
    const {stripe, price, clock, customer} = await subscribed()
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const setup = await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 250,
      currency: 'usd',
      description: 'Setup fee',
    })
    expect(setup).toMatchObject({invoice: null, proration: false, discountable: true})
    await advance(stripe, clock.id, FEB_1 + 2 * HOUR)
    const renewal = await invoice(stripe, (await stripe.subscriptions.retrieve(sub.id)).latest_invoice)
    expect(renewal.lines.data.map((line) => [line.amount, line.description])).toEqual([
      [250, 'Setup fee'],
      [1000, '1 × Plan 1000'],
    ])
    expect(renewal).toMatchObject({total: 1250, amount_paid: 1250})
    expect((await stripe.invoiceItems.retrieve(setup.id)).invoice).toBe(renewal.id)
    await expect(stripe.invoiceItems.del(setup.id)).rejects.toMatchObject({statusCode: 400})
  })

  it("a canceled subscription's pending items are billed on the customer's next invoice, still naming it (SB-39, SB-62)", async () => {
    const {stripe, price, clock, customer} = await subscribed()
    const ended = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const other = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const fee = await stripe.invoiceItems.create({
      customer: customer.id,
      subscription: ended.id,
      amount: 300,
      currency: 'usd',
      description: 'Late fee',
    })
    await advance(stripe, clock.id, START + 10 * DAY)
    await stripe.subscriptions.cancel(ended.id)
    expect((await stripe.invoiceItems.retrieve(fee.id)).invoice).toBeNull()
    await advance(stripe, clock.id, FEB_1 + 2 * HOUR)
    const renewal = await invoice(stripe, (await stripe.subscriptions.retrieve(other.id)).latest_invoice)
    expect(renewal).toMatchObject({total: 1300, amount_paid: 1300})
    const line = renewal.lines.data.find((l) => l.parent?.invoice_item_details?.invoice_item === fee.id)
    expect(line).toMatchObject({amount: 300, parent: {invoice_item_details: {subscription: ended.id}}})
    expect((await stripe.invoiceItems.retrieve(fee.id)).invoice).toBe(renewal.id)
  })

  it('an invoice item with a bad amount is refused whole: no item, no invoiceitem.created (SB-39)', async () => {
    const stripe = sdk(emulator())
    const customer = await stripe.customers.create({})
    for (const amount of ['12.7', 'abc', '1e3']) {
      await expect(
        stripe.invoiceItems.create({customer: customer.id, amount: amount as unknown as number, currency: 'usd'}),
      ).rejects.toMatchObject({statusCode: 400, param: 'amount'})
    }
    expect((await stripe.invoiceItems.list({customer: customer.id})).data).toEqual([])
    expect(
      sink.changes.filter((change) => change.object.object === 'invoiceitem' && change.object.customer === customer.id),
    ).toEqual([])
    await expect(
      stripe.invoiceItems.create({customer: customer.id, amount: -250, currency: 'usd'}),
    ).resolves.toMatchObject({amount: -250})
  })
})

describe('emulator: intervals', () => {
  it('every two weeks from the anchor; a yearly anchor on Feb 29 renews on Feb 28 (SB-19, SB-20)', async () => {
    const stripe = sdk(emulator())
    const biweekly = await monthlyPrice(stripe, 500, 'Biweekly', {interval: 'week', interval_count: 2})
    const {customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: biweekly.id}]})
    expect(sub.items.data[0]?.current_period_end).toBe(START + 14 * DAY)
    const leap = Date.UTC(2028, 1, 29) / 1000
    const yearly = await monthlyPrice(stripe, 5000, 'Yearly', {interval: 'year'})
    const {customer: leapling} = await clockWithCustomer(stripe, leap)
    const leapSub = await stripe.subscriptions.create({customer: leapling.id, items: [{price: yearly.id}]})
    expect(leapSub.items.data[0]?.current_period_end).toBe(Date.UTC(2029, 1, 28) / 1000)
  })

  it('a period is at most three years; mixed intervals on one subscription are refused (SB-19, SB-21)', async () => {
    const stripe = sdk(emulator())
    await expect(
      stripe.prices.create({
        currency: 'usd',
        unit_amount: 100,
        recurring: {interval: 'month', interval_count: 37},
        product_data: {name: 'Too long'},
      }),
    ).rejects.toMatchObject({statusCode: 400, param: 'recurring[interval_count]'})
    const monthly = await monthlyPrice(stripe, 1000)
    const yearly = await monthlyPrice(stripe, 10_000, 'Yearly', {interval: 'year'})
    const {customer} = await clockWithCustomer(stripe)
    await expect(
      stripe.subscriptions.create({customer: customer.id, items: [{price: monthly.id}, {price: yearly.id}]}),
    ).rejects.toMatchObject({statusCode: 501})
  })

  it('a clock with a weekly and a monthly subscription advances at most two weeks (SB-12)', async () => {
    const stripe = sdk(emulator())
    const weekly = await monthlyPrice(stripe, 200, 'Weekly', {interval: 'week'})
    const monthly = await monthlyPrice(stripe, 1000)
    const {clock, customer} = await clockWithCustomer(stripe)
    await stripe.subscriptions.create({customer: customer.id, items: [{price: monthly.id}]})
    await stripe.subscriptions.create({customer: customer.id, items: [{price: weekly.id}]})
    await expect(
      stripe.testHelpers.testClocks.advance(clock.id, {frozen_time: START + 14 * DAY + 1}),
    ).rejects.toMatchObject({statusCode: 400, param: 'frozen_time'})
    await advance(stripe, clock.id, START + 14 * DAY)
  })
})

describe('emulator: events', () => {
  it('one state change per change, updates with previous attributes, clock changes without a request (SB-68)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {clock, customer} = await clockWithCustomer(stripe)
    await stripe.customers.update(customer.id, {name: 'Ada'}, {idempotencyKey: 'rename-ada'})
    const renamed = sink
      .of(customer.id)
      .find((change) => change.type === 'customer.updated' && change.previousAttributes?.name === null)
    expect(renamed).toMatchObject({object: {name: 'Ada'}, created: START, request: {idempotencyKey: 'rename-ada'}})
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const first = sub.latest_invoice as string
    // The objects a request makes announce themselves before the subscription it creates.
    const order = sink.changes
      .filter((change) => change.object.id === first || change.object.id === sub.id)
      .map((change) => change.type)
    expect(order).toEqual([
      'invoice.created',
      'invoice.finalized',
      'invoice.paid',
      'invoice.payment_succeeded',
      'customer.subscription.created',
    ])
    await advance(stripe, clock.id, FEB_1 + 2 * HOUR)
    expect(sink.of(clock.id).map((change) => change.type)).toEqual([
      'test_helpers.test_clock.created',
      'test_helpers.test_clock.advancing',
      'test_helpers.test_clock.ready',
    ])
    const renewal = sink.changes.filter(
      (change) =>
        change.object.object === 'invoice' &&
        change.object.id !== first &&
        (change.object.parent as {subscription_details?: {subscription?: string}} | null)?.subscription_details
          ?.subscription === sub.id,
    )
    expect(renewal.map((change) => [change.type, change.created, change.request])).toEqual([
      ['invoice.created', FEB_1, null],
      ['invoice.finalized', FEB_1 + HOUR, null],
      ['invoice.paid', FEB_1 + HOUR, null],
      ['invoice.payment_succeeded', FEB_1 + HOUR, null],
    ])
    const newPeriod = sink
      .of(sub.id)
      .find((change) => change.type === 'customer.subscription.updated' && change.created === FEB_1)
    expect(newPeriod?.previousAttributes).toHaveProperty('items')
  })
})
