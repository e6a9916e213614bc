import {describe, expect, it} from 'vitest'

import {addIntervals} from '../../src/billing-time.js'
import {useEmulator} from '../helpers/emulator.js'
import {DAY, HOUR, START, advance, clockWithCustomer, invoice, monthlyPrice, sdk} from './sdk.js'

const emulator = useEmulator({advanceMs: 0})
const FEB_1 = addIntervals(START, 'month', 1)
const HALFWAY = START + 15 * DAY + 12 * HOUR // half of January's 31 days

async function subscribed(unitAmount = 1000, quantity = 1) {
  const stripe = sdk(emulator())
  const price = await monthlyPrice(stripe, unitAmount)
  const {clock, customer} = await clockWithCustomer(stripe)
  const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id, quantity}]})
  return {stripe, price, clock, customer, sub, item: sub.items.data[0]!.id}
}

async function pendingAmounts(stripe: ReturnType<typeof sdk>, customer: string): Promise<number[]> {
  return (await stripe.invoiceItems.list({customer, pending: true})).data
    .map((item) => item.amount)
    .sort((a, b) => a - b)
}

describe('emulator billing mode', () => {
  it('API subscriptions are flexible for clover and later request versions, classic before (SB-26)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {customer} = await clockWithCustomer(stripe)
    expect(
      (await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})).billing_mode.type,
    ).toBe('flexible')
    const basil = sdk(emulator(), 'sk_test_basil', {apiVersion: '2025-08-27.basil' as never})
    expect(
      (await basil.subscriptions.create({customer: customer.id, items: [{price: price.id}]})).billing_mode.type,
    ).toBe('classic')
    expect(
      (
        await basil.subscriptions.create({
          customer: customer.id,
          items: [{price: price.id}],
          billing_mode: {type: 'flexible'},
        })
      ).billing_mode.type,
    ).toBe('flexible')
  })
})

describe('emulator prorations', () => {
  it('a quantity change prorates like a price change: credit the unused old quantity, debit the new (SB-41)', async () => {
    const {stripe, clock, customer, sub, item} = await subscribed(1000, 1)
    await advance(stripe, clock.id, HALFWAY)
    await stripe.subscriptions.update(sub.id, {items: [{id: item, quantity: 3}]})
    expect(await pendingAmounts(stripe, customer.id)).toEqual([-500, 1500])
  })

  it('rounds each proration to the cent: 16 of 31 days left, 10 to 20 USD gives −516 and +1032 (SB-41)', async () => {
    const {stripe, clock, sub, item} = await subscribed(1000, 1)
    await advance(stripe, clock.id, START + 15 * DAY)
    const pro = await monthlyPrice(stripe, 2000, 'Pro')
    const now = await stripe.subscriptions.update(sub.id, {
      items: [{id: item, price: pro.id}],
      proration_behavior: 'always_invoice',
    })
    const bill = await invoice(stripe, now.latest_invoice)
    // 1000 × 16/31 = 516.13, 2000 × 16/31 = 1032.26
    expect(bill.lines.data.map((line) => line.amount).sort((a, b) => a - b)).toEqual([-516, 1032])
    expect(bill).toMatchObject({total: 516, amount_paid: 516})
  })

  it('always_invoice bills the prorations at once; none creates none (SB-42)', async () => {
    const {stripe, clock, customer, sub, item} = await subscribed(1000, 1)
    await advance(stripe, clock.id, HALFWAY)
    const now = await stripe.subscriptions.update(sub.id, {
      items: [{id: item, quantity: 2}],
      proration_behavior: 'always_invoice',
    })
    expect(now.latest_invoice).not.toBe(sub.latest_invoice)
    const bill = await invoice(stripe, now.latest_invoice)
    expect(bill).toMatchObject({billing_reason: 'subscription_update', status: 'paid', total: 500, amount_paid: 500})
    expect(bill.lines.data.map((line) => line.amount).sort((a, b) => a - b)).toEqual([-500, 1000])
    expect(await pendingAmounts(stripe, customer.id)).toEqual([])

    const quiet = await stripe.subscriptions.update(sub.id, {
      items: [{id: item, quantity: 5}],
      proration_behavior: 'none',
    })
    expect(quiet.latest_invoice).toBe(now.latest_invoice)
    expect(quiet.items.data[0]?.quantity).toBe(5)
    expect(await pendingAmounts(stripe, customer.id)).toEqual([])
  })

  it('proration_date prorates as if the change happened then, and must lie in the current period (SB-43)', async () => {
    const {stripe, clock, customer, sub, item} = await subscribed(1000, 1)
    await advance(stripe, clock.id, START + 20 * DAY)
    await expect(
      stripe.subscriptions.update(sub.id, {items: [{id: item, quantity: 2}], proration_date: START - 1}),
    ).rejects.toMatchObject({statusCode: 400, param: 'proration_date'})
    await stripe.subscriptions.update(sub.id, {items: [{id: item, quantity: 2}], proration_date: HALFWAY})
    expect(await pendingAmounts(stripe, customer.id)).toEqual([-500, 1000])
  })

  it('a downgrade billed at once leaves customer credit that the next invoice uses (SB-37)', async () => {
    const {stripe, clock, customer, sub, item} = await subscribed(2000, 1)
    const cheaper = await monthlyPrice(stripe, 1000, 'Cheaper')
    await advance(stripe, clock.id, HALFWAY)
    const down = await stripe.subscriptions.update(sub.id, {
      items: [{id: item, price: cheaper.id}],
      proration_behavior: 'always_invoice',
    })
    expect(await invoice(stripe, down.latest_invoice)).toMatchObject({
      total: -500,
      amount_due: 0,
      status: 'paid',
      ending_balance: -500,
    })
    expect((await stripe.customers.retrieve(customer.id)) as {balance: number}).toMatchObject({balance: -500})
    await advance(stripe, clock.id, FEB_1 + 2 * HOUR)
    const renewal = await invoice(stripe, (await stripe.subscriptions.retrieve(sub.id)).latest_invoice)
    expect(renewal).toMatchObject({
      total: 1000,
      starting_balance: -500,
      amount_due: 500,
      amount_paid: 500,
      ending_balance: 0,
    })
  })

  it('an interval change with proration_behavior=none gives no credit but still resets the anchor and bills at once (SB-45)', async () => {
    const {stripe, clock, customer, sub, item} = await subscribed(1000, 1)
    const yearly = await monthlyPrice(stripe, 10_000, 'Yearly', {interval: 'year'})
    await advance(stripe, clock.id, START + 10 * DAY)
    const moved = await stripe.subscriptions.update(sub.id, {
      items: [{id: item, price: yearly.id}],
      proration_behavior: 'none',
    })
    expect(moved.billing_cycle_anchor).toBe(START + 10 * DAY)
    expect(await invoice(stripe, moved.latest_invoice)).toMatchObject({
      total: 10_000,
      amount_paid: 10_000,
      billing_reason: 'subscription_update',
    })
    expect(await pendingAmounts(stripe, customer.id)).toEqual([])
  })

  it('a scheduled cancel_at_period_end follows the period an interval change starts (SB-45, SB-63)', async () => {
    const {stripe, clock, sub, item} = await subscribed(1000, 1)
    const yearly = await monthlyPrice(stripe, 10_000, 'Yearly', {interval: 'year'})
    await stripe.subscriptions.update(sub.id, {cancel_at_period_end: true})
    await advance(stripe, clock.id, START + 10 * DAY)
    const moved = await stripe.subscriptions.update(sub.id, {
      items: [{id: item, price: yearly.id}],
      proration_behavior: 'none',
    })
    expect(moved).toMatchObject({cancel_at_period_end: true, cancel_at: addIntervals(START + 10 * DAY, 'year', 1)})
  })

  it('prorations on a discounted subscription are net of percent-off discounts, listed with 0 amounts; the discount applies to the new period (SB-46)', async () => {
    const stripe = sdk(emulator())
    const basic = await monthlyPrice(stripe, 1000, 'Basic')
    const pro = await monthlyPrice(stripe, 2000, 'Pro')
    const coupon = await stripe.coupons.create({percent_off: 20, duration: 'forever'})
    const {clock, customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: basic.id}],
      discounts: [{coupon: coupon.id}],
    })
    const discount = sub.discounts[0] as string
    await advance(stripe, clock.id, HALFWAY)
    await stripe.subscriptions.update(sub.id, {items: [{id: sub.items.data[0]!.id, price: pro.id}]})
    // Half of the 800 actually charged back; half of 2000 less 20% due.
    expect(await pendingAmounts(stripe, customer.id)).toEqual([-400, 800])
    await advance(stripe, clock.id, FEB_1 + 2 * HOUR)
    const renewal = await invoice(stripe, (await stripe.subscriptions.retrieve(sub.id)).latest_invoice)
    expect(renewal.lines.data.map((line) => [line.amount, line.discount_amounts])).toEqual([
      [800, [{amount: 0, discount}]],
      [-400, [{amount: 0, discount}]],
      [2000, [{amount: 400, discount}]],
    ])
    expect(renewal).toMatchObject({total: 2000, amount_paid: 2000})
  })

  it('flexible mode credits what was charged; classic credits the current price less the current discount (SB-46)', async () => {
    const stripe = sdk(emulator())
    const basic = await monthlyPrice(stripe, 1000, 'Basic')
    const coupon = await stripe.coupons.create({percent_off: 20, duration: 'forever'})
    const {clock, customer} = await clockWithCustomer(stripe)
    const classicCustomer = await stripe.customers.create({
      test_clock: clock.id,
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    const flexible = await stripe.subscriptions.create({customer: customer.id, items: [{price: basic.id}]})
    const classic = await stripe.subscriptions.create({
      customer: classicCustomer.id,
      items: [{price: basic.id}],
      billing_mode: {type: 'classic'},
    })
    await advance(stripe, clock.id, HALFWAY)
    for (const sub of [flexible, classic]) {
      // The coupon came after the full-price invoice of this period.
      await stripe.subscriptions.update(sub.id, {discounts: [{coupon: coupon.id}]})
      await stripe.subscriptions.update(sub.id, {items: [{id: sub.items.data[0]!.id, quantity: 2}]})
    }
    expect(await pendingAmounts(stripe, customer.id)).toEqual([-500, 800])
    expect(await pendingAmounts(stripe, classicCustomer.id)).toEqual([-400, 800])
  })

  it('prorations with an amount_off discount are refused, and nothing changes (SB-46)', async () => {
    const {stripe, customer, sub, item} = await subscribed(1000, 1)
    const coupon = await stripe.coupons.create({
      amount_off: 100,
      currency: 'usd',
      duration: 'repeating',
      duration_in_months: 6,
    })
    await stripe.subscriptions.update(sub.id, {discounts: [{coupon: coupon.id}]})
    await expect(stripe.subscriptions.update(sub.id, {items: [{id: item, quantity: 2}]})).rejects.toMatchObject({
      statusCode: 501,
    })
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data[0]?.quantity).toBe(1)
    expect(await pendingAmounts(stripe, customer.id)).toEqual([])
    await expect(
      stripe.subscriptions.update(sub.id, {items: [{id: item, quantity: 2}], proration_behavior: 'none'}),
    ).resolves.toMatchObject({status: 'active'})
  })

  it('a cancel_at inside the period prorates, which is refused unless proration_behavior=none; then it cancels at that time (SB-47, SB-63)', async () => {
    const {stripe, clock, sub} = await subscribed(1000, 1)
    const at = START + 10 * DAY
    await expect(stripe.subscriptions.update(sub.id, {cancel_at: at})).rejects.toMatchObject({statusCode: 501})
    // A refused request changes nothing, not even the parts that came before the refusal.
    await expect(
      stripe.subscriptions.update(sub.id, {
        items: [{id: sub.items.data[0]!.id, quantity: 4}],
        proration_behavior: 'create_prorations',
        cancel_at: at,
      }),
    ).rejects.toMatchObject({statusCode: 501})
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data[0]?.quantity).toBe(1)
    const scheduled = await stripe.subscriptions.update(sub.id, {cancel_at: at, proration_behavior: 'none'})
    expect(scheduled).toMatchObject({cancel_at: at, cancel_at_period_end: false, canceled_at: START, status: 'active'})
    await advance(stripe, clock.id, at + HOUR)
    expect(await stripe.subscriptions.retrieve(sub.id)).toMatchObject({status: 'canceled', ended_at: at})
  })
})

describe('emulator subscription items', () => {
  it('/v1/subscription_items changes one item with the same proration rules as items[] (SB-30, SB-41, SB-42)', async () => {
    const {stripe, clock, customer, sub, item} = await subscribed(1000, 1)
    const addOn = await monthlyPrice(stripe, 400, 'Add-on')
    expect(await stripe.subscriptionItems.retrieve(item)).toMatchObject({
      id: item,
      quantity: 1,
      subscription: sub.id,
      current_period_end: FEB_1,
    })
    await advance(stripe, clock.id, HALFWAY)
    await stripe.subscriptionItems.update(item, {quantity: 2})
    expect(await pendingAmounts(stripe, customer.id)).toEqual([-500, 1000])
    const added = await stripe.subscriptionItems.create({
      subscription: sub.id,
      price: addOn.id,
      quantity: 1,
      proration_behavior: 'none',
    })
    expect((await stripe.subscriptionItems.list({subscription: sub.id})).data.map((i) => i.id).sort()).toEqual(
      [item, added.id].sort(),
    )
    expect(await stripe.subscriptionItems.del(added.id, {proration_behavior: 'always_invoice'})).toMatchObject({
      id: added.id,
      deleted: true,
    })
    const now = await stripe.subscriptions.retrieve(sub.id)
    expect(now.items.data.map((i) => [i.id, i.quantity])).toEqual([[item, 2]])
    // Deleting with always_invoice credited the add-on's unused half at once, with the pending items.
    expect(await invoice(stripe, now.latest_invoice)).toMatchObject({
      billing_reason: 'subscription_update',
      total: -500 + 1000 - 200,
    })
    await expect(stripe.subscriptionItems.retrieve(added.id)).rejects.toMatchObject({statusCode: 404})
  })
})
