import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {useEmulator} from '../helpers/emulator.js'
import {sdk} from './sdk.js'

const emulator = useEmulator({advanceMs: 0})

/** The types of the events about one object, oldest first, read from /v1/events. */
async function eventTypes(stripe: Stripe, objectId: string): Promise<string[]> {
  const types: string[] = []
  for await (const event of stripe.events.list({limit: 100}))
    if ((event.data.object as {id?: string}).id === objectId) types.push(event.type)
  return types.reverse()
}

describe('emulator: PaymentIntents created and confirmed directly, with the test cards (SB-72)', () => {
  it('create → requires_payment_method; confirm with pm_card_visa succeeds with one succeeded charge', async () => {
    const stripe = sdk(emulator())
    const customer = await stripe.customers.create({email: 'pi@example.com'})
    const intent = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      customer: customer.id,
      description: 'Order 1',
      metadata: {order: '1'},
    })
    expect(intent).toMatchObject({
      status: 'requires_payment_method',
      amount: 2000,
      amount_received: 0,
      customer: customer.id,
      description: 'Order 1',
      metadata: {order: '1'},
      payment_method_types: ['card'],
      latest_charge: null,
    })
    const confirmed = await stripe.paymentIntents.confirm(intent.id, {payment_method: 'pm_card_visa'})
    expect(confirmed).toMatchObject({status: 'succeeded', amount_received: 2000})
    const charge = await stripe.charges.retrieve(confirmed.latest_charge as string)
    expect(charge).toMatchObject({
      status: 'succeeded',
      paid: true,
      amount: 2000,
      payment_intent: intent.id,
      customer: customer.id,
      refunded: false,
      amount_refunded: 0,
    })
    expect((await stripe.paymentIntents.list({customer: customer.id})).data.map((pi) => pi.id)).toEqual([intent.id])
    expect(await eventTypes(stripe, intent.id)).toEqual(['payment_intent.created', 'payment_intent.succeeded'])
    expect(await eventTypes(stripe, charge.id)).toEqual(['charge.succeeded'])
    // Succeeded is final: neither confirmed again nor canceled.
    await expect(stripe.paymentIntents.confirm(intent.id)).rejects.toMatchObject({
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    })
    await expect(stripe.paymentIntents.cancel(intent.id)).rejects.toMatchObject({
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    })
  })

  it('confirm=true at creation charges at once; a card that fails on charge answers 402 and leaves requires_payment_method with last_payment_error', async () => {
    const stripe = sdk(emulator())
    const paid = await stripe.paymentIntents.create({
      amount: 999,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    expect(paid).toMatchObject({status: 'succeeded', customer: null})
    for (const card of ['pm_card_chargeCustomerFail', 'pm_card_chargeDeclined']) {
      const intent = await stripe.paymentIntents.create({amount: 999, currency: 'usd', payment_method: card})
      expect(intent.status).toBe('requires_confirmation')
      await expect(stripe.paymentIntents.confirm(intent.id)).rejects.toMatchObject({
        statusCode: 402,
        type: 'StripeCardError',
        code: 'card_declined',
      })
      const failed = await stripe.paymentIntents.retrieve(intent.id)
      expect(failed).toMatchObject({
        status: 'requires_payment_method',
        last_payment_error: {code: 'card_declined', type: 'card_error'},
      })
      expect(await stripe.charges.retrieve(failed.latest_charge as string)).toMatchObject({
        status: 'failed',
        paid: false,
        failure_code: 'card_declined',
      })
      expect(await eventTypes(stripe, intent.id)).toEqual(['payment_intent.created', 'payment_intent.payment_failed'])
      // A new card can be tried on the same intent.
      expect(await stripe.paymentIntents.confirm(intent.id, {payment_method: 'pm_card_visa'})).toMatchObject({
        status: 'succeeded',
      })
    }
  })

  it("cancel with a reason (payment_intent.canceled); refusals: no card to confirm, under the minimum, an invoice's intent, update of metadata only", async () => {
    const stripe = sdk(emulator())
    const intent = await stripe.paymentIntents.create({amount: 5000, currency: 'usd'})
    await expect(stripe.paymentIntents.confirm(intent.id)).rejects.toMatchObject({
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    })
    expect(await stripe.paymentIntents.update(intent.id, {metadata: {k: 'v'}})).toMatchObject({metadata: {k: 'v'}})
    const canceled = await stripe.paymentIntents.cancel(intent.id, {cancellation_reason: 'abandoned'})
    expect(canceled).toMatchObject({status: 'canceled', cancellation_reason: 'abandoned'})
    expect(canceled.canceled_at).toEqual(expect.any(Number))
    expect(await eventTypes(stripe, intent.id)).toEqual(['payment_intent.created', 'payment_intent.canceled'])
    await expect(stripe.paymentIntents.create({amount: 49, currency: 'usd'})).rejects.toMatchObject({
      statusCode: 400,
      code: 'amount_too_small',
    })
    await expect(stripe.paymentIntents.update(intent.id, {amount: 10})).rejects.toMatchObject({statusCode: 501})

    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    const invoice = await stripe.invoices.create({customer: customer.id, currency: 'usd'})
    await stripe.invoiceItems.create({invoice: invoice.id, amount: 700})
    await stripe.invoices.finalizeInvoice(invoice.id)
    const [payment] = (await stripe.invoicePayments.list({invoice: invoice.id})).data
    // Confirmed without a card it has nothing to charge (SB-K2); canceled directly it stays refused: void the invoice.
    const invoiceIntent = payment?.payment.payment_intent as string
    await expect(stripe.paymentIntents.confirm(invoiceIntent)).rejects.toMatchObject({
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    })
    await expect(stripe.paymentIntents.cancel(invoiceIntent)).rejects.toMatchObject({statusCode: 501})
  })
})

describe('emulator: refunds (SB-73)', () => {
  it('partial refunds repeat until the charge is fully refunded; each fires refund.created and charge.refunded; more than remains is refused', async () => {
    const stripe = sdk(emulator())
    const intent = await stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    const chargeId = intent.latest_charge as string
    const first = await stripe.refunds.create({
      charge: chargeId,
      amount: 1000,
      reason: 'requested_by_customer',
      metadata: {ticket: '9'},
    })
    expect(first).toMatchObject({
      object: 'refund',
      amount: 1000,
      charge: chargeId,
      payment_intent: intent.id,
      currency: 'usd',
      status: 'succeeded',
      reason: 'requested_by_customer',
      metadata: {ticket: '9'},
    })
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({amount_refunded: 1000, refunded: false})
    await expect(stripe.refunds.create({charge: chargeId, amount: 2001})).rejects.toMatchObject({
      statusCode: 400,
      param: 'amount',
    })
    // By PaymentIntent, without an amount: what remains.
    const rest = await stripe.refunds.create({payment_intent: intent.id})
    expect(rest).toMatchObject({amount: 2000, charge: chargeId})
    const charge = await stripe.charges.retrieve(chargeId)
    expect(charge).toMatchObject({amount_refunded: 3000, refunded: true})
    expect(charge.refunds?.data.map((refund) => refund.id)).toEqual([rest.id, first.id])
    await expect(stripe.refunds.create({charge: chargeId})).rejects.toMatchObject({
      statusCode: 400,
      code: 'charge_already_refunded',
    })
    expect(await eventTypes(stripe, chargeId)).toEqual(['charge.succeeded', 'charge.refunded', 'charge.refunded'])
    expect(await eventTypes(stripe, first.id)).toEqual(['refund.created'])
    const [latest] = (await stripe.events.list({type: 'charge.refunded', limit: 1})).data
    expect(latest?.data.object).toMatchObject({id: chargeId, amount_refunded: 3000, refunded: true})
    expect((await stripe.refunds.list({charge: chargeId})).data.map((refund) => refund.id)).toEqual([rest.id, first.id])
  })

  it("refunds an invoice's charge; update takes metadata only (refund.updated); a failed charge or nothing named is refused", async () => {
    const stripe = sdk(emulator())
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    const invoice = await stripe.invoices.create({customer: customer.id, currency: 'usd', auto_advance: true})
    await stripe.invoiceItems.create({invoice: invoice.id, amount: 1500})
    await stripe.invoices.finalizeInvoice(invoice.id)
    const [payment] = (await stripe.invoicePayments.list({invoice: invoice.id})).data
    const refund = await stripe.refunds.create({payment_intent: payment?.payment.payment_intent as string, amount: 500})
    expect(refund).toMatchObject({amount: 500, customer: customer.id})
    // Refunding an invoice's payment leaves the invoice paid.
    expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({status: 'paid', amount_paid: 1500})
    expect(await stripe.refunds.update(refund.id, {metadata: {note: 'goodwill'}})).toMatchObject({
      metadata: {note: 'goodwill'},
    })
    expect(await eventTypes(stripe, refund.id)).toEqual(['refund.created', 'refund.updated', 'charge.refund.updated'])
    await expect(
      stripe.refunds.update(refund.id, {reason: 'duplicate'} as Stripe.RefundUpdateParams),
    ).rejects.toMatchObject({statusCode: 400, code: 'parameter_unknown'})

    await expect(stripe.refunds.create({})).rejects.toMatchObject({statusCode: 400, code: 'parameter_missing'})
    const declined = await stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      payment_method: 'pm_card_chargeCustomerFail',
    })
    await expect(stripe.paymentIntents.confirm(declined.id)).rejects.toMatchObject({statusCode: 402})
    await expect(stripe.refunds.create({payment_intent: declined.id})).rejects.toMatchObject({statusCode: 400})
    const failedCharge = (await stripe.paymentIntents.retrieve(declined.id)).latest_charge as string
    await expect(stripe.refunds.create({charge: failedCharge})).rejects.toMatchObject({statusCode: 400})
  })
})

/** A hand-made invoice for `amount`, finalized; paid when `pay`. */
async function finalizedInvoice(stripe: Stripe, amount: number, pay: boolean) {
  const customer = await stripe.customers.create({
    payment_method: 'pm_card_visa',
    invoice_settings: {default_payment_method: 'pm_card_visa'},
  })
  const invoice = await stripe.invoices.create({customer: customer.id, currency: 'usd'})
  await stripe.invoiceItems.create({invoice: invoice.id, amount})
  await stripe.invoices.finalizeInvoice(invoice.id)
  return {customer, invoice: pay ? await stripe.invoices.pay(invoice.id) : await stripe.invoices.retrieve(invoice.id)}
}

describe('emulator: credit notes (SB-74)', () => {
  it('on an open invoice a credit note lowers amount_due and what its charge will take (pre_payment); void puts it back', async () => {
    const stripe = sdk(emulator())
    const {invoice} = await finalizedInvoice(stripe, 5000, false)
    const note = await stripe.creditNotes.create({
      invoice: invoice.id,
      lines: [{type: 'custom_line_item', unit_amount: 600, quantity: 2, description: 'Late delivery'}],
      reason: 'order_change',
      memo: 'Sorry',
    })
    expect(note).toMatchObject({
      object: 'credit_note',
      amount: 1200,
      pre_payment_amount: 1200,
      post_payment_amount: 0,
      type: 'pre_payment',
      status: 'issued',
      invoice: invoice.id,
      reason: 'order_change',
      memo: 'Sorry',
    })
    expect(note.number).toBe(`${invoice.number}-CN-01`)
    expect(note.lines.data[0]).toMatchObject({
      object: 'credit_note_line_item',
      type: 'custom_line_item',
      amount: 1200,
      quantity: 2,
      unit_amount: 600,
    })
    expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({
      amount_due: 3800,
      amount_remaining: 3800,
      pre_payment_credit_notes_amount: 1200,
      total: 5000,
    })
    expect(await stripe.creditNotes.update(note.id, {metadata: {case: '12'}})).toMatchObject({metadata: {case: '12'}})
    const voided = await stripe.creditNotes.voidCreditNote(note.id)
    expect(voided).toMatchObject({status: 'void'})
    expect(voided.voided_at).toEqual(expect.any(Number))
    expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({
      amount_due: 5000,
      pre_payment_credit_notes_amount: 0,
    })

    await stripe.creditNotes.create({invoice: invoice.id, amount: 1000})
    const paid = await stripe.invoices.pay(invoice.id)
    expect(paid).toMatchObject({status: 'paid', amount_paid: 4000})
    expect(
      await stripe.charges.list({
        payment_intent: (await stripe.invoicePayments.list({invoice: invoice.id})).data[0]?.payment
          .payment_intent as string,
      }),
    ).toMatchObject({data: [{amount: 4000, status: 'succeeded'}]})
    expect(await eventTypes(stripe, note.id)).toEqual([
      'credit_note.created',
      'credit_note.updated',
      'credit_note.voided',
    ])
    expect((await stripe.creditNotes.list({invoice: invoice.id})).data).toHaveLength(2)
  })

  it('on a paid invoice the amount must be split exactly across refund, customer credit and out of band; the refund refunds its charge', async () => {
    const stripe = sdk(emulator())
    const {customer, invoice} = await finalizedInvoice(stripe, 3000, true)
    await expect(
      stripe.creditNotes.create({invoice: invoice.id, amount: 1000, refund_amount: 500}),
    ).rejects.toMatchObject({statusCode: 400})
    const note = await stripe.creditNotes.create({
      invoice: invoice.id,
      amount: 1000,
      refund_amount: 500,
      credit_amount: 300,
      out_of_band_amount: 200,
    })
    expect(note).toMatchObject({
      pre_payment_amount: 0,
      post_payment_amount: 1000,
      type: 'post_payment',
      out_of_band_amount: 200,
    })
    const refundId = note.refunds[0]?.refund as string
    expect(await stripe.refunds.retrieve(refundId)).toMatchObject({amount: 500, status: 'succeeded'})
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({balance: -300})
    expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({
      status: 'paid',
      amount_paid: 3000,
      post_payment_credit_notes_amount: 1000,
    })
    // Never more than the invoice's total less what was credited; never on a draft.
    await expect(
      stripe.creditNotes.create({invoice: invoice.id, amount: 2001, out_of_band_amount: 2001}),
    ).rejects.toMatchObject({statusCode: 400, param: 'amount'})
    const draft = await stripe.invoices.create({customer: customer.id, currency: 'usd'})
    await expect(stripe.creditNotes.create({invoice: draft.id, amount: 100})).rejects.toMatchObject({
      statusCode: 400,
      param: 'invoice',
    })
    await expect(stripe.creditNotes.voidCreditNote(note.id)).rejects.toMatchObject({statusCode: 501})
    const types = (await stripe.events.list({limit: 10})).data.map((event) => event.type).reverse()
    expect(types.slice(types.indexOf('refund.created'), types.indexOf('credit_note.created') + 1)).toEqual([
      'refund.created',
      'charge.refunded',
      'customer.updated',
      'invoice.updated',
      'credit_note.created',
    ])
  })
})

describe('emulator: SetupIntents with the test cards (SB-75)', () => {
  it('confirming pm_card_visa for a customer succeeds and attaches the card; pm_card_chargeCustomerFail saves too', async () => {
    const stripe = sdk(emulator())
    const customer = await stripe.customers.create({email: 'setup@example.com'})
    const intent = await stripe.setupIntents.create({customer: customer.id, metadata: {flow: 'onboarding'}})
    expect(intent).toMatchObject({
      object: 'setup_intent',
      status: 'requires_payment_method',
      usage: 'off_session',
      customer: customer.id,
      payment_method: null,
      metadata: {flow: 'onboarding'},
    })
    const confirmed = await stripe.setupIntents.confirm(intent.id, {payment_method: 'pm_card_visa'})
    expect(confirmed.status).toBe('succeeded')
    const cards = await stripe.customers.listPaymentMethods(customer.id)
    expect(cards.data.map((pm) => pm.id)).toEqual([confirmed.payment_method])
    expect(await eventTypes(stripe, intent.id)).toEqual(['setup_intent.created', 'setup_intent.succeeded'])
    expect(await eventTypes(stripe, confirmed.payment_method as string)).toEqual(['payment_method.attached'])

    const failing = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_chargeCustomerFail',
      confirm: true,
    })
    expect(failing.status).toBe('succeeded')
    expect((await stripe.paymentMethods.retrieve(failing.payment_method as string)).customer).toBe(customer.id)
    expect((await stripe.setupIntents.list({customer: customer.id})).data.map((i) => i.id)).toEqual([
      failing.id,
      intent.id,
    ])
  })

  it('pm_card_chargeDeclined fails the setup (402, setup_intent.setup_failed, last_setup_error) and attaches nothing; cancel; update', async () => {
    const stripe = sdk(emulator())
    const customer = await stripe.customers.create({})
    const intent = await stripe.setupIntents.create({customer: customer.id, payment_method: 'pm_card_chargeDeclined'})
    expect(intent.status).toBe('requires_confirmation')
    await expect(stripe.setupIntents.confirm(intent.id)).rejects.toMatchObject({statusCode: 402, code: 'card_declined'})
    expect(await stripe.setupIntents.retrieve(intent.id)).toMatchObject({
      status: 'requires_payment_method',
      last_setup_error: {code: 'card_declined'},
    })
    expect((await stripe.customers.listPaymentMethods(customer.id)).data).toEqual([])
    expect(await stripe.setupIntents.update(intent.id, {description: 'retry later'})).toMatchObject({
      description: 'retry later',
    })
    expect(await stripe.setupIntents.cancel(intent.id, {cancellation_reason: 'abandoned'})).toMatchObject({
      status: 'canceled',
      cancellation_reason: 'abandoned',
    })
    await expect(stripe.setupIntents.confirm(intent.id, {payment_method: 'pm_card_visa'})).rejects.toMatchObject({
      statusCode: 400,
      code: 'setup_intent_unexpected_state',
    })
    expect(await eventTypes(stripe, intent.id)).toEqual([
      'setup_intent.created',
      'setup_intent.setup_failed',
      'setup_intent.canceled',
    ])
  })
})
