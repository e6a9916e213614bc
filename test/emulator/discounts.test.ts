import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {addIntervals} from '../../src/billing-time.js'
import {useEmulator} from '../helpers/emulator.js'
import {DAY, HOUR, START, advance, clockWithCustomer, invoice, monthlyPrice, sdk} from './sdk.js'

const emulator = useEmulator({advanceMs: 0})
const FEB_1 = addIntervals(START, 'month', 1)

describe('emulator coupons', () => {
  it('a coupon is percent_off or amount_off with a currency; repeating needs duration_in_months (SB-54)', async () => {
    const stripe = sdk(emulator())
    await expect(stripe.coupons.create({percent_off: 10, amount_off: 100, currency: 'usd'})).rejects.toMatchObject({
      statusCode: 400,
    })
    await expect(stripe.coupons.create({amount_off: 100})).rejects.toMatchObject({statusCode: 400, param: 'currency'})
    await expect(stripe.coupons.create({percent_off: 101})).rejects.toMatchObject({
      statusCode: 400,
      param: 'percent_off',
    })
    await expect(stripe.coupons.create({percent_off: 10, duration: 'repeating'})).rejects.toMatchObject({
      statusCode: 400,
      param: 'duration_in_months',
    })
    await expect(
      stripe.coupons.create({percent_off: 10, duration: 'once', duration_in_months: 2}),
    ).rejects.toMatchObject({statusCode: 400})
    const coupon = await stripe.coupons.create({percent_off: 15, id: 'WELCOME15'})
    expect(coupon).toMatchObject({
      id: 'WELCOME15',
      object: 'coupon',
      duration: 'once',
      duration_in_months: null,
      valid: true,
      times_redeemed: 0,
      amount_off: null,
      currency: null,
    })
  })

  it('since basil an amount_off coupon cannot be forever (SB-55)', async () => {
    const stripe = sdk(emulator())
    await expect(stripe.coupons.create({amount_off: 500, currency: 'usd', duration: 'forever'})).rejects.toMatchObject({
      statusCode: 400,
      param: 'duration',
    })
  })

  it('update changes only name and metadata; a deleted coupon keeps its applied discount working (SB-54)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const coupon = await stripe.coupons.create({percent_off: 50, duration: 'forever'})
    const error = await stripe
      .rawRequest('POST', `/v1/coupons/${coupon.id}`, {percent_off: 10})
      .catch((e: unknown) => e)
    expect(error).toMatchObject({statusCode: 400, code: 'parameter_unknown'})
    expect(await stripe.coupons.update(coupon.id, {name: 'Half', metadata: {team: 'growth'}})).toMatchObject({
      name: 'Half',
      metadata: {team: 'growth'},
      percent_off: 50,
    })
    const {clock, customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      discounts: [{coupon: coupon.id}],
    })
    expect(await stripe.coupons.del(coupon.id)).toEqual(expect.objectContaining({id: coupon.id, deleted: true}))
    await expect(stripe.coupons.retrieve(coupon.id)).rejects.toMatchObject({statusCode: 404})
    await advance(stripe, clock.id, FEB_1 + 2 * HOUR)
    expect(await invoice(stripe, (await stripe.subscriptions.retrieve(sub.id)).latest_invoice)).toMatchObject({
      total: 500,
    })
  })

  it('max_redemptions counts across customers; an exhausted coupon is invalid and cannot be applied (SB-54)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const coupon = await stripe.coupons.create({percent_off: 10, max_redemptions: 1})
    const {clock, customer} = await clockWithCustomer(stripe)
    const other = await stripe.customers.create({
      test_clock: clock.id,
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      discounts: [{coupon: coupon.id}],
    })
    expect(await stripe.coupons.retrieve(coupon.id)).toMatchObject({times_redeemed: 1, valid: false})
    await expect(
      stripe.subscriptions.create({customer: other.id, items: [{price: price.id}], discounts: [{coupon: coupon.id}]}),
    ).rejects.toMatchObject({statusCode: 400})
  })

  it('an amount_off once coupon never takes an invoice below zero and is gone after the first invoice (SB-59, SB-60)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const coupon = await stripe.coupons.create({amount_off: 1500, currency: 'usd', duration: 'once'})
    const {clock, customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      discounts: [{coupon: coupon.id}],
    })
    expect(await invoice(stripe, sub.latest_invoice)).toMatchObject({
      subtotal: 1000,
      total: 0,
      amount_due: 0,
      status: 'paid',
    })
    expect((await stripe.subscriptions.retrieve(sub.id)).discounts).toEqual([])
    await advance(stripe, clock.id, FEB_1 + 2 * HOUR)
    expect(await invoice(stripe, (await stripe.subscriptions.retrieve(sub.id)).latest_invoice)).toMatchObject({
      total: 1000,
      total_discount_amounts: [],
    })
  })

  it('a once coupon on a trial is used by the first paid invoice, not the $0 trial invoice (SB-60)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const coupon = await stripe.coupons.create({percent_off: 50, duration: 'once'})
    const {clock, customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      trial_period_days: 7,
      discounts: [{coupon: coupon.id}],
    })
    expect(await invoice(stripe, sub.latest_invoice)).toMatchObject({total: 0, discounts: []})
    await advance(stripe, clock.id, START + 7 * 86_400 + 2 * HOUR)
    expect(await invoice(stripe, (await stripe.subscriptions.retrieve(sub.id)).latest_invoice)).toMatchObject({
      subtotal: 1000,
      total: 500,
      amount_paid: 500,
    })
    expect((await stripe.subscriptions.retrieve(sub.id)).discounts).toEqual([])
  })

  it('an amount_off coupon in another currency is refused and nothing is created (SB-54)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const euros = await stripe.coupons.create({amount_off: 100, currency: 'eur'})
    const {customer} = await clockWithCustomer(stripe)
    await expect(
      stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}], discounts: [{coupon: euros.id}]}),
    ).rejects.toMatchObject({statusCode: 400, param: 'discounts'})
    expect(
      (
        await stripe.subscriptions.list({
          customer: customer.id,
          test_clock: customer.test_clock as string,
          status: 'all',
        })
      ).data,
    ).toEqual([])
    expect(await stripe.coupons.retrieve(euros.id)).toMatchObject({times_redeemed: 0})
  })

  it('an amount_off discount is spread over the lines in proportion to their amounts (SB-59)', async () => {
    const stripe = sdk(emulator())
    const small = await monthlyPrice(stripe, 1000, 'Small')
    const large = await monthlyPrice(stripe, 3000, 'Large')
    const coupon = await stripe.coupons.create({amount_off: 400, currency: 'usd'})
    const {customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: small.id}, {price: large.id}],
      discounts: [{coupon: coupon.id}],
    })
    const bill = await invoice(stripe, sub.latest_invoice)
    expect(
      bill.lines.data.map((line) => [line.amount, line.discount_amounts?.[0]?.amount]).sort((a, b) => a[0]! - b[0]!),
    ).toEqual([
      [1000, 100],
      [3000, 300],
    ])
    expect(bill).toMatchObject({subtotal: 4000, total: 3600})
    // Classic mode spreads it evenly instead, which is not modelled.
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{price: small.id}],
        discounts: [{coupon: coupon.id}],
        billing_mode: {type: 'classic'},
      }),
    ).rejects.toMatchObject({statusCode: 501})
  })

  it("discounts on update: a populated array replaces, an empty one leaves, '' clears; DELETE /discount removes (SB-56)", async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const a = await stripe.coupons.create({percent_off: 10, duration: 'forever'})
    const b = await stripe.coupons.create({percent_off: 20, duration: 'forever'})
    const {customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      discounts: [{coupon: a.id}],
    })
    const coupons = async () =>
      ((await stripe.subscriptions.retrieve(sub.id, {expand: ['discounts']})).discounts as Stripe.Discount[]).map(
        (d) => d.source.coupon,
      )
    await stripe.subscriptions.update(sub.id, {discounts: [{coupon: b.id}]})
    expect(await coupons()).toEqual([b.id])
    await stripe.subscriptions.update(sub.id, {discounts: []})
    expect(await coupons()).toEqual([b.id])
    await stripe.subscriptions.update(sub.id, {discounts: ''})
    expect(await coupons()).toEqual([])
    await stripe.subscriptions.update(sub.id, {discounts: [{coupon: a.id}]})
    expect(await stripe.subscriptions.deleteDiscount(sub.id)).toMatchObject({object: 'discount', deleted: true})
    expect(await coupons()).toEqual([])
    await expect(stripe.subscriptions.deleteDiscount(sub.id)).rejects.toMatchObject({statusCode: 404})
  })

  it('customer discounts cannot come from the API since basil; deleting none is a 404 (SB-57, SB-T4)', async () => {
    const stripe = sdk(emulator())
    const customer = await stripe.customers.create({})
    expect(customer.discount).toBeNull()
    await expect(stripe.customers.deleteDiscount(customer.id)).rejects.toMatchObject({statusCode: 404})
    const error = await stripe.rawRequest('POST', '/v1/customers', {coupon: 'X'}).catch((e: unknown) => e)
    expect(error).toMatchObject({statusCode: 400, code: 'parameter_unknown'})
  })
  it('amount-off shares sum exactly to the amount off, a free line included (SB-59)', async () => {
    const stripe = sdk(emulator())
    const free = await monthlyPrice(stripe, 0, 'Free')
    const a = await monthlyPrice(stripe, 1001, 'A')
    const b = await monthlyPrice(stripe, 1001, 'B')
    const {customer} = await clockWithCustomer(stripe)
    const coupon = await stripe.coupons.create({amount_off: 501, currency: 'usd', duration: 'once'})
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: free.id}, {price: a.id}, {price: b.id}],
      discounts: [{coupon: coupon.id}],
    })
    const bill = await invoice(stripe, sub.latest_invoice)
    expect(bill).toMatchObject({subtotal: 2002, total: 1501, total_discount_amounts: [{amount: 501}]})
    const shares = bill.lines.data.map((line) => (line.discount_amounts ?? []).reduce((sum, d) => sum + d.amount, 0))
    expect([...shares].sort((x, y) => x - y)).toEqual([0, 250, 251])
  })

  it('amount-off never takes an invoice below 0, credit prorations counted: no customer credit from a coupon (SB-59)', async () => {
    const stripe = sdk(emulator())
    const pro = await monthlyPrice(stripe, 2000, 'Pro')
    const basic = await monthlyPrice(stripe, 1000, 'Basic')
    const {clock, customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: pro.id}]})
    // A mid-January downgrade leaves −1000 and +500 pending: the renewal's subtotal is 500.
    await advance(stripe, clock.id, START + 15 * DAY + 12 * HOUR)
    await stripe.subscriptions.update(sub.id, {items: [{id: sub.items.data[0]!.id, price: basic.id}]})
    const coupon = await stripe.coupons.create({
      amount_off: 1000,
      currency: 'usd',
      duration: 'repeating',
      duration_in_months: 3,
    })
    await stripe.subscriptions.update(sub.id, {discounts: [{coupon: coupon.id}]})
    await advance(stripe, clock.id, FEB_1 + 2 * HOUR)
    const renewal = await invoice(stripe, (await stripe.subscriptions.retrieve(sub.id)).latest_invoice)
    expect(renewal).toMatchObject({
      subtotal: 500,
      total: 0,
      amount_due: 0,
      ending_balance: 0,
      total_discount_amounts: [{amount: 500}],
    })
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({balance: 0})
  })
})

describe('emulator promotion codes', () => {
  it('points at its coupon through promotion; codes are unique among active ones, case-insensitively (SB-61)', async () => {
    const stripe = sdk(emulator())
    const coupon = await stripe.coupons.create({percent_off: 10})
    const code = await stripe.promotionCodes.create({promotion: {type: 'coupon', coupon: coupon.id}, code: 'Launch-1'})
    expect(code).toMatchObject({
      object: 'promotion_code',
      code: 'Launch-1',
      active: true,
      promotion: {type: 'coupon', coupon: coupon.id},
      times_redeemed: 0,
    })
    await expect(
      stripe.promotionCodes.create({promotion: {type: 'coupon', coupon: coupon.id}, code: 'launch-1'}),
    ).rejects.toMatchObject({statusCode: 400, param: 'code'})
    await expect(
      stripe.promotionCodes.create({promotion: {type: 'coupon', coupon: coupon.id}, code: 'no spaces'}),
    ).rejects.toMatchObject({statusCode: 400, param: 'code'})
    await stripe.promotionCodes.update(code.id, {active: false})
    await expect(
      stripe.promotionCodes.create({promotion: {type: 'coupon', coupon: coupon.id}, code: 'LAUNCH-1'}),
    ).resolves.toMatchObject({active: true})
  })

  it('an inactive code, or one for another customer, cannot be applied (SB-61)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const coupon = await stripe.coupons.create({percent_off: 10})
    const {clock, customer} = await clockWithCustomer(stripe)
    const other = await stripe.customers.create({
      test_clock: clock.id,
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    const inactive = await stripe.promotionCodes.create({promotion: {type: 'coupon', coupon: coupon.id}, active: false})
    expect(inactive.active).toBe(false)
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{price: price.id}],
        discounts: [{promotion_code: inactive.id}],
      }),
    ).rejects.toMatchObject({statusCode: 400})
    const personal = await stripe.promotionCodes.create({
      promotion: {type: 'coupon', coupon: coupon.id},
      customer: customer.id,
    })
    await expect(
      stripe.subscriptions.create({
        customer: other.id,
        items: [{price: price.id}],
        discounts: [{promotion_code: personal.id}],
      }),
    ).rejects.toMatchObject({statusCode: 400})
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{price: price.id}],
        discounts: [{promotion_code: personal.id}],
      }),
    ).resolves.toMatchObject({status: 'active'})
  })
})
