import Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {useEmulator} from '../helpers/emulator.js'
import {wholeState} from '../helpers/whole-state.js'
import {sdk} from './sdk.js'

const emulator = useEmulator({advanceMs: 0})

/** The error a call is refused with (the test fails if it succeeds). */
async function refusal(call: () => Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await call()
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) return error
    throw error
  }
  throw new Error('the request was not refused')
}

async function customerWithCard(stripe: Stripe): Promise<Stripe.Customer> {
  return stripe.customers.create({
    payment_method: 'pm_card_visa',
    invoice_settings: {default_payment_method: 'pm_card_visa'},
  })
}

describe('emulator: behaviour as Stripe documents it (SB-C1 – SB-C6)', () => {
  it('refuses a currency Stripe does not support on prices and plans, and creates nothing (SB-C1)', async () => {
    const running = emulator()
    const stripe = sdk(running)
    const product = await stripe.products.create({name: 'Souls'})
    const before = wholeState(running)
    for (const create of [
      () => stripe.prices.create({currency: 'souls', unit_amount: 100, product: product.id}),
      () => stripe.plans.create({currency: 'souls', amount: 100, interval: 'month', product: product.id}),
    ]) {
      const error = await refusal(create)
      expect(error).toMatchObject({statusCode: 400, type: 'StripeInvalidRequestError', param: 'currency'})
      expect(error.message).toMatch(/^Invalid currency: souls\. Stripe currently supports these currencies: usd, /)
      expect(error.code).toBeUndefined()
    }
    expect(wholeState(running)).toEqual(before)
    // A supported currency in capitals is taken, lowercased.
    const price = await stripe.prices.create({currency: 'EUR', unit_amount: 100, product: product.id})
    expect(price.currency).toBe('eur')
  })

  it('refuses off_session without confirm=true on a PaymentIntent (SB-C2)', async () => {
    const stripe = sdk(emulator())
    const customer = await customerWithCard(stripe)
    const error = await refusal(() =>
      stripe.paymentIntents.create({amount: 1000, currency: 'usd', customer: customer.id, off_session: true}),
    )
    expect(error).toMatchObject({statusCode: 400, type: 'StripeInvalidRequestError', param: 'off_session'})
    const confirmed = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      customer: customer.id,
      payment_method: customer.invoice_settings.default_payment_method as string,
      off_session: true,
      confirm: true,
    })
    expect(confirmed.status).toBe('succeeded')
  })

  it("expands a customer's and a price's includable fields, absent otherwise (SB-C3)", async () => {
    const stripe = sdk(emulator())
    const customer = await customerWithCard(stripe)
    const plain = await stripe.customers.retrieve(customer.id)
    expect(plain).not.toHaveProperty('tax_ids')
    expect(plain).not.toHaveProperty('cash_balance')
    expect(plain).not.toHaveProperty('invoice_credit_balance')
    const expanded = (await stripe.customers.retrieve(customer.id, {
      expand: ['tax_ids', 'cash_balance', 'invoice_credit_balance'],
    })) as Stripe.Customer
    expect(expanded.tax_ids).toEqual({
      object: 'list',
      data: [],
      has_more: false,
      url: `/v1/customers/${customer.id}/tax_ids`,
    })
    expect(expanded.cash_balance).toMatchObject({object: 'cash_balance', customer: customer.id, available: null})
    expect(expanded.invoice_credit_balance).toEqual({})

    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1500,
      recurring: {interval: 'month'},
      product_data: {name: 'Per unit'},
    })
    expect(price).not.toHaveProperty('tiers')
    expect(price).not.toHaveProperty('currency_options')
    const withOptions = await stripe.prices.retrieve(price.id, {expand: ['tiers', 'currency_options']})
    expect(withOptions.tiers).toEqual([])
    expect(withOptions.currency_options).toEqual({
      usd: {custom_unit_amount: null, tax_behavior: 'unspecified', unit_amount: 1500, unit_amount_decimal: '1500'},
    })
    // Expanding through a list works the same way.
    const listed = await stripe.prices.list({expand: ['data.tiers']})
    expect(listed.data.every((p) => Array.isArray(p.tiers))).toBe(true)
  })

  it('answers a missing PaymentMethod with 404 resource_missing, in the path or as a parameter (SB-C5)', async () => {
    const stripe = sdk(emulator())
    const customer = await customerWithCard(stripe)
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1500,
      recurring: {interval: 'month'},
      product_data: {name: 'Missing pm'},
    })
    for (const call of [
      () => stripe.paymentMethods.attach('pm_missing', {customer: customer.id}),
      () => stripe.customers.create({payment_method: 'pm_missing'}),
      () =>
        stripe.subscriptions.create({
          customer: customer.id,
          items: [{price: price.id}],
          default_payment_method: 'pm_missing',
        }),
      () => stripe.customers.retrieve('cus_missing'),
    ]) {
      const error = await refusal(call)
      expect(error).toMatchObject({statusCode: 404, code: 'resource_missing'})
      expect(error.message).toMatch(/^No such (PaymentMethod|customer): '(pm|cus)_missing'$/)
    }
  })

  it("answers with Stripe's error codes only: an invalid value has no code (SB-C4)", async () => {
    const stripe = sdk(emulator())
    const error = await refusal(() =>
      stripe.webhookEndpoints.create({
        url: 'https://example.com/hook',
        enabled_events: ['not.an.event' as 'charge.failed'],
      }),
    )
    expect(error).toMatchObject({statusCode: 400, param: 'enabled_events[0]'})
    expect(error.code).toBeUndefined()
    const integer = await refusal(() => stripe.customers.list({limit: 'many' as unknown as number}))
    expect(integer).toMatchObject({statusCode: 400, code: 'parameter_invalid_integer', param: 'limit'})
  })

  it("takes a live subscription's pending items into a hand-made invoice with include and no subscription (SB-C6)", async () => {
    const stripe = sdk(emulator())
    const customer = await customerWithCard(stripe)
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 2000,
      recurring: {interval: 'month'},
      product_data: {name: 'Live'},
    })
    const subscription = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 500,
      currency: 'usd',
      subscription: subscription.id,
    })
    await stripe.invoiceItems.create({customer: customer.id, amount: 300, currency: 'usd'})
    const excluded = await stripe.invoices.create({customer: customer.id})
    expect(excluded.total).toBe(0)
    const invoice = await stripe.invoices.create({customer: customer.id, pending_invoice_items_behavior: 'include'})
    expect(invoice.lines.data.map((line) => line.amount).sort((a, b) => a - b)).toEqual([300, 500])
    expect(invoice.total).toBe(800)
    // The subscription's own cycle is untouched: its latest invoice is still its first.
    const after = await stripe.subscriptions.retrieve(subscription.id)
    expect(after.latest_invoice).toBe(subscription.latest_invoice)
  })
})

/** A raw form-encoded request, for values the SDK's types would not let a test send. */
async function post(
  url: string,
  path: string,
  body: string,
): Promise<{status: number; error: Record<string, unknown>}> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {Authorization: 'Bearer sk_test_contract', 'Content-Type': 'application/x-www-form-urlencoded'},
    body,
  })
  const json = (await response.json()) as {error: Record<string, unknown>}
  return {status: response.status, error: json.error}
}

describe("emulator: Stripe's spec as the parameter contract (SB-C7)", () => {
  it('refuses an unknown nested parameter, a wrong type and a value outside an enum, changing nothing', async () => {
    const running = emulator()
    const stripe = sdk(running)
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 900,
      recurring: {interval: 'month'},
      product_data: {name: 'Contract'},
    })
    const customer = await customerWithCard(stripe)
    const before = wholeState(running)
    const cases: Array<[string, string, Record<string, unknown>]> = [
      [
        '/v1/subscriptions',
        `customer=${customer.id}&items[0][price]=${price.id}&items[0][colour]=red`,
        {code: 'parameter_unknown', param: 'items[0][colour]', message: 'Received unknown parameter: items[0][colour]'},
      ],
      [
        '/v1/subscriptions',
        `customer=${customer.id}&items[0][price]=${price.id}&items[0][quantity]=lots`,
        {code: 'parameter_invalid_integer', param: 'items[0][quantity]', message: 'Invalid integer: lots'},
      ],
      [
        '/v1/prices',
        `currency=usd&unit_amount=100&product=${price.product as string}&recurring[interval]=fortnight`,
        {
          param: 'recurring[interval]',
          message: 'Invalid recurring[interval]: must be one of day, month, week, or year',
        },
      ],
      [
        '/v1/customers',
        'invoice_settings[default_payment_method][0]=pm_card_visa',
        {
          param: 'invoice_settings[default_payment_method]',
          message: 'Invalid string: invoice_settings[default_payment_method]',
        },
      ],
      [
        '/v1/subscriptions',
        `customer=${customer.id}&items[0][price]=${price.id}&cancel_at_period_end=maybe`,
        {param: 'cancel_at_period_end', message: 'Invalid boolean: maybe'},
      ],
      [
        '/v1/invoiceitems',
        `customer=${customer.id}&amount=100&currency=souls`,
        {param: 'currency', type: 'invalid_request_error'},
      ],
    ]
    for (const [path, body, expected] of cases) {
      const {status, error} = await post(running.url, path, body)
      expect({status, ...error}).toMatchObject({status: 400, type: 'invalid_request_error', ...expected})
      if (expected.code === undefined) expect(error.code).toBeUndefined()
    }
    expect(wholeState(running)).toEqual(before)
  })

  it("takes what the spec allows: an emptied field, a range filter, a union's object member", async () => {
    const stripe = sdk(emulator())
    const customer = await customerWithCard(stripe)
    // metadata is Emptyable: '' clears it.
    await stripe.customers.update(customer.id, {metadata: {a: '1'}})
    const cleared = await stripe.customers.update(customer.id, {metadata: ''})
    expect(cleared.metadata).toEqual({})
    // created takes a number or a range object; a range with an unknown bound is refused.
    const listed = await stripe.events.list({created: {gte: 0}, type: 'customer.created'})
    expect(listed.data.map((event) => (event.data.object as Stripe.Customer).id)).toContain(customer.id)
    const bound = await refusal(() => stripe.events.list({created: {after: 0} as Stripe.RangeQueryParam}))
    expect(bound).toMatchObject({statusCode: 400, code: 'parameter_unknown', param: 'created[after]'})
    // A plan's product is an id or the fields of a new product.
    const plan = await stripe.plans.create({amount: 500, currency: 'usd', interval: 'month', product: {name: 'Inline'}})
    expect(plan.product).toMatch(/^prod_/)
  })
})
