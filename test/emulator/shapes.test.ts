import {readFile} from 'node:fs/promises'
import {describe, expect, it} from 'vitest'

import {useEmulator} from '../helpers/emulator.js'
import {START, clockWithCustomer, sdk} from './sdk.js'

/*
 * test/fixtures/stripe-object-keys.json holds the top-level keys of Stripe's example objects in
 * stripe/openapi fixtures3.json. To add an object, regenerate from /work/shared/reference:
 *   python3 -c "import json; f=json.load(open('stripe-openapi/fixtures3.json'))['resources']; print(json.dumps(sorted(f['<object>'])))"
 * then re-apply its `_corrections` (where fixtures3.json is stale against SN23, SN23 wins).
 */
const emulator = useEmulator({advanceMs: 0})

/** Optional fields that Stripe adds only in some states, not in its example objects. */
const OPTIONAL: Record<string, string[]> = {
  subscription: ['status_details'], // endive, only while paused (SB-66)
  subscription_schedule: ['pause_schedules'], // in SN23's SubscriptionSchedule type, not in fixtures3.json's example
  credit_note_line_item: ['invoice_line_item'], // SN23: optional, only on a line crediting an invoice line (not modelled)
  invoice: ['status_details', 'payments'], // endive, only while uncollectible (SB-40); payments only when expanded (SB-69)
}

describe('emulator object shapes', () => {
  it("every object carries the fields of Stripe's own example object (fixtures3.json)", async () => {
    const fixtures = JSON.parse(
      await readFile(new URL('../fixtures/stripe-object-keys.json', import.meta.url), 'utf8'),
    ) as {objects: Record<string, string[]>}
    const stripe = sdk(emulator())
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1000,
      recurring: {interval: 'month'},
      product_data: {name: 'Shapes'},
    })
    const product = await stripe.products.retrieve(price.product as string)
    const {clock, customer} = await clockWithCustomer(stripe, START)
    const pm = await stripe.paymentMethods.retrieve(customer.invoice_settings.default_payment_method as string)
    const coupon = await stripe.coupons.create({percent_off: 10, duration: 'forever'})
    const promotionCode = await stripe.promotionCodes.create({promotion: {type: 'coupon', coupon: coupon.id}})
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id, quantity: 2}],
      discounts: [{promotion_code: promotionCode.id}],
    })
    const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string, {expand: ['payments']})
    const invoicePayment = invoice.payments!.data[0]!
    const paymentIntent = await stripe.paymentIntents.retrieve(invoicePayment.payment.payment_intent as string)
    const charge = await stripe.charges.retrieve(paymentIntent.latest_charge as string)
    const discount = (await stripe.subscriptions.retrieve(sub.id, {expand: ['discounts']})).discounts[0] as object
    const invoiceItem = await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 250,
      currency: 'usd',
      description: 'Setup',
    })
    const deletedItem = await stripe.invoiceItems.del(invoiceItem.id)
    const deletedDiscount = await stripe.subscriptions.deleteDiscount(sub.id)
    const deletedCoupon = await stripe.coupons.del((await stripe.coupons.create({percent_off: 5})).id)
    const other = await stripe.customers.create({})
    const deletedCustomer = await stripe.customers.del(other.id)
    const refund = await stripe.refunds.create({charge: charge.id, amount: 100})
    const creditNote = await stripe.creditNotes.create({
      invoice: invoice.id,
      lines: [{type: 'custom_line_item', unit_amount: 50}],
      out_of_band_amount: 50,
    })
    const setupIntent = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    const deletedPlan = await stripe.plans.del(
      (await stripe.plans.create({amount: 100, currency: 'usd', interval: 'month', product: product.id})).id,
    )
    const taxRate = await stripe.taxRates.create({display_name: 'VAT', percentage: 19, inclusive: false, country: 'DE'})
    const oneOff = await stripe.invoices.create({customer: customer.id, currency: 'usd'})
    const deletedInvoice = await stripe.invoices.del(oneOff.id)
    const schedule = await stripe.subscriptionSchedules.create({
      customer: customer.id,
      start_date: 'now',
      phases: [{items: [{price: price.id}], duration: {interval: 'month'}}],
    })
    const balanceTransaction = await stripe.customers.createBalanceTransaction(customer.id, {
      amount: -100,
      currency: 'usd',
    })
    const deletedClock = await stripe.testHelpers.testClocks.del(
      (await stripe.testHelpers.testClocks.create({frozen_time: START})).id,
    )
    const meter = await stripe.billing.meters.create({
      display_name: 'Shapes',
      event_name: 'shapes_meter',
      default_aggregation: {formula: 'sum'},
    })
    const meterEvent = await stripe.billing.meterEvents.create({
      event_name: meter.event_name,
      payload: {stripe_customer_id: customer.id, value: '1'},
    })
    const summary = (
      await stripe.billing.meters.listEventSummaries(meter.id, {customer: customer.id, start_time: 0, end_time: 60})
    ).data[0]!
    const objects: Record<string, object> = {
      'billing.meter': meter,
      'billing.meter_event': meterEvent,
      'billing.meter_event_summary': summary,
      'test_helpers.test_clock': clock,
      'deleted_test_helpers.test_clock': deletedClock,
      customer,
      deleted_customer: deletedCustomer,
      subscription: sub,
      subscription_item: sub.items.data[0]!,
      invoice,
      line_item: invoice.lines.data[0]!,
      invoiceitem: invoiceItem,
      deleted_invoiceitem: deletedItem,
      price,
      product,
      payment_method: pm,
      plan: (sub.items.data[0] as unknown as {plan: object}).plan,
      coupon,
      deleted_coupon: deletedCoupon,
      promotion_code: promotionCode,
      discount,
      deleted_discount: deletedDiscount,
      invoice_payment: invoicePayment,
      payment_intent: paymentIntent,
      charge,
      refund,
      deleted_invoice: deletedInvoice,
      credit_note: creditNote,
      setup_intent: setupIntent,
      deleted_plan: deletedPlan,
      tax_rate: taxRate,
      credit_note_line_item: creditNote.lines.data[0]!,
      subscription_schedule: schedule,
      customer_balance_transaction: balanceTransaction,
    }
    for (const [name, object] of Object.entries(objects)) {
      const keys = Object.keys(object).filter((key) => key !== 'lastResponse')
      const expected = fixtures.objects[name]!
      const optional = OPTIONAL[name] ?? []
      expect({name, missing: expected.filter((key) => !keys.includes(key) && !optional.includes(key))}).toEqual({
        name,
        missing: [],
      })
      expect({
        name,
        extra: keys.filter((key) => !expected.includes(key) && key !== 'total_count' && !optional.includes(key)),
      }).toEqual({name, extra: []})
    }
    const prefixes: Array<[object, RegExp]> = [
      [customer, /^cus_/],
      [sub, /^sub_/],
      [sub.items.data[0]!, /^si_/],
      [invoice, /^in_/],
      [clock, /^clock_/],
      [pm, /^pm_/],
      [promotionCode, /^promo_/],
      [discount, /^di_/],
      [invoiceItem, /^ii_/],
      [invoice.lines.data[0]!, /^il_/],
      [paymentIntent, /^pi_/],
      [charge, /^ch_/],
      [invoicePayment, /^inpay_/],
      [refund, /^re_/],
      [creditNote, /^cn_/],
      [setupIntent, /^seti_/],
      [taxRate, /^txr_/],
      [creditNote.lines.data[0]!, /^cnli_/],
      [schedule, /^sub_sched_/],
    ]
    for (const [object, prefix] of prefixes) expect((object as {id: string}).id).toMatch(prefix)
    expect([customer, sub, invoice, price, coupon, promotionCode, invoiceItem].every((o) => o.livemode === false)).toBe(
      true,
    )
  })
})
