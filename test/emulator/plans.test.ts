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

describe('emulator: legacy plans as views of recurring prices (SB-76)', () => {
  it('a plan created with an inline product is also a price with the same id; a recurring price is also a plan', async () => {
    const stripe = sdk(emulator())
    const plan = await stripe.plans.create({
      amount: 1200,
      currency: 'usd',
      interval: 'month',
      interval_count: 3,
      product: {name: 'Quarterly'},
      nickname: 'Q',
      metadata: {tier: 'gold'},
    })
    expect(plan.id).toMatch(/^plan_/)
    expect(plan).toMatchObject({
      object: 'plan',
      amount: 1200,
      currency: 'usd',
      interval: 'month',
      interval_count: 3,
      usage_type: 'licensed',
      billing_scheme: 'per_unit',
      nickname: 'Q',
      active: true,
      metadata: {tier: 'gold'},
    })
    expect(await stripe.prices.retrieve(plan.id)).toMatchObject({
      object: 'price',
      unit_amount: 1200,
      recurring: {interval: 'month', interval_count: 3},
      product: plan.product,
    })
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 500,
      recurring: {interval: 'year'},
      product: plan.product as string,
    })
    expect(await stripe.plans.retrieve(price.id)).toMatchObject({object: 'plan', amount: 500, interval: 'year'})
    const oneTime = await stripe.prices.create({currency: 'usd', unit_amount: 500, product: plan.product as string})
    await expect(stripe.plans.retrieve(oneTime.id)).rejects.toMatchObject({statusCode: 404})
    expect((await stripe.plans.list({product: plan.product as string})).data.map((p) => p.id)).toEqual([
      price.id,
      plan.id,
    ])
    const named = await stripe.plans.create({
      id: 'gold-monthly',
      amount: 900,
      currency: 'usd',
      interval: 'month',
      product: plan.product as string,
    })
    expect(named.id).toBe('gold-monthly')
    await expect(
      stripe.plans.create({
        id: 'gold-monthly',
        amount: 900,
        currency: 'usd',
        interval: 'month',
        product: plan.product as string,
      }),
    ).rejects.toMatchObject({statusCode: 400, code: 'resource_already_exists'})
  })

  it('subscribes with a plan; update changes only nickname, active and metadata; deleting hides it from new subscriptions but keeps billing existing ones', async () => {
    const stripe = sdk(emulator())
    const plan = await stripe.plans.create({
      amount: 2000,
      currency: 'usd',
      interval: 'month',
      product: {name: 'Legacy'},
    })
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{plan: plan.id}]})
    expect(sub.items.data[0]).toMatchObject({
      plan: {id: plan.id, amount: 2000},
      price: {id: plan.id, unit_amount: 2000},
    })
    const expanded = await stripe.subscriptions.retrieve(sub.id, {expand: ['latest_invoice']})
    expect((expanded.latest_invoice as Stripe.Invoice).amount_paid).toBe(2000)

    expect(await stripe.plans.update(plan.id, {nickname: 'Old', metadata: {k: 'v'}})).toMatchObject({
      nickname: 'Old',
      metadata: {k: 'v'},
    })
    await expect(stripe.plans.update(plan.id, {amount: 1} as Stripe.PlanUpdateParams)).rejects.toMatchObject({
      statusCode: 400,
      code: 'parameter_unknown',
    })
    expect(await stripe.plans.del(plan.id)).toEqual({id: plan.id, object: 'plan', deleted: true})
    await expect(stripe.plans.retrieve(plan.id)).rejects.toMatchObject({statusCode: 404})
    await expect(stripe.subscriptions.create({customer: customer.id, items: [{plan: plan.id}]})).rejects.toMatchObject({
      statusCode: 404,
    })
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data[0]?.plan.id).toBe(plan.id)
    expect(await eventTypes(stripe, plan.id)).toEqual(['plan.created', 'plan.updated', 'plan.deleted'])
  })
})
