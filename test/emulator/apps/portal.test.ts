import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import type {StateChange} from '../../../src/emulator/event-sink.js'
import {useFreshEmulators} from '../../helpers/emulator.js'
import {clockWithCustomer, monthlyPrice, sdk} from '../sdk.js'

// The customer portal through stripe-node, its page driven by posting its forms (SB-P8, SB-P9).

const fresh = useFreshEmulators()

async function setup() {
  const changes: StateChange[] = []
  const emulator = await fresh({events: {emit: (change) => changes.push(change)}})
  return {stripe: sdk(emulator), changes}
}

async function post(url: string, fields: Record<string, string>) {
  const response = await fetch(url, {method: 'POST', body: new URLSearchParams(fields), redirect: 'manual'})
  return {status: response.status, location: response.headers.get('location'), html: await response.text()}
}

async function plans(stripe: Stripe) {
  const basic = await monthlyPrice(stripe, 1000, 'Basic')
  const pro = await stripe.prices.create({
    currency: 'usd',
    unit_amount: 3000,
    recurring: {interval: 'month'},
    product: basic.product as string,
  })
  return {basic, pro}
}

describe('billing_portal.configurations (SB-P9)', () => {
  it('creates, retrieves, updates and lists configurations with their features', async () => {
    const {stripe, changes} = await setup()
    const {basic, pro} = await plans(stripe)
    const config = await stripe.billingPortal.configurations.create({
      business_profile: {headline: 'Acme billing'},
      features: {
        invoice_history: {enabled: true},
        payment_method_update: {enabled: true},
        subscription_cancel: {enabled: true, mode: 'immediately', proration_behavior: 'create_prorations'},
        subscription_update: {
          enabled: true,
          default_allowed_updates: ['price'],
          proration_behavior: 'always_invoice',
          products: [{product: basic.product as string, prices: [basic.id, pro.id]}],
        },
      },
    })
    expect(config).toMatchObject({
      object: 'billing_portal.configuration',
      active: true,
      is_default: false,
      business_profile: {headline: 'Acme billing'},
      features: {
        subscription_cancel: {enabled: true, mode: 'immediately', proration_behavior: 'create_prorations'},
        subscription_update: {
          enabled: true,
          proration_behavior: 'always_invoice',
          products: [{product: basic.product, prices: [basic.id, pro.id]}],
        },
      },
    })
    expect(changes.at(-1)?.type).toBe('billing_portal.configuration.created')
    const updated = await stripe.billingPortal.configurations.update(config.id, {
      features: {subscription_cancel: {mode: 'at_period_end'}},
      metadata: {team: 'billing'},
    })
    expect(updated.features.subscription_cancel.mode).toBe('at_period_end')
    expect(updated.features.subscription_update.enabled).toBe(true)
    expect(changes.at(-1)).toMatchObject({type: 'billing_portal.configuration.updated'})
    expect((await stripe.billingPortal.configurations.retrieve(config.id)).metadata).toEqual({team: 'billing'})
    expect((await stripe.billingPortal.configurations.list()).data.map((c) => c.id)).toEqual([config.id])
    await expect(
      stripe.billingPortal.configurations.create({
        features: {subscription_update: {enabled: true, products: [{product: 'prod_other', prices: [pro.id]}]}},
      }),
    ).rejects.toMatchObject({statusCode: 400})
  })

  it('a session needs a configuration, since the emulator has no Dashboard default (SB-P8)', async () => {
    const {stripe} = await setup()
    const customer = await stripe.customers.create({})
    await expect(stripe.billingPortal.sessions.create({customer: customer.id})).rejects.toMatchObject({
      statusCode: 400,
      param: 'configuration',
    })
  })
})

describe('the portal page (SB-P9)', () => {
  it('shows the subscription and invoices, switches plans with the configured proration, changes the card, then cancels at period end', async () => {
    const {stripe, changes} = await setup()
    const {basic, pro} = await plans(stripe)
    const {customer} = await clockWithCustomer(stripe)
    const subscription = await stripe.subscriptions.create({customer: customer.id, items: [{price: basic.id}]})
    const config = await stripe.billingPortal.configurations.create({
      features: {
        invoice_history: {enabled: true},
        payment_method_update: {enabled: true},
        subscription_cancel: {enabled: true, mode: 'at_period_end'},
        subscription_update: {
          enabled: true,
          default_allowed_updates: ['price'],
          proration_behavior: 'always_invoice',
          products: [{product: basic.product as string, prices: [basic.id, pro.id]}],
        },
      },
    })
    const session = await stripe.billingPortal.sessions.create({
      customer: customer.id,
      configuration: config.id,
      return_url: 'https://app.example/account',
    })
    expect(session).toMatchObject({object: 'billing_portal.session', return_url: 'https://app.example/account'})
    expect(changes.at(-1)?.type).toBe('billing_portal.session.created')
    const page = await (await fetch(session.url)).text()
    expect(page).toContain('Basic: $10.00 / month')
    expect(page).toContain('Invoice history')
    expect(page).toContain('href="https://app.example/account"')

    const switched = await post(session.url, {action: 'switch', subscription: subscription.id, price: pro.id})
    expect(switched).toMatchObject({status: 303, location: `/portal/${session.id}?done=switch`})
    const afterSwitch = await stripe.subscriptions.retrieve(subscription.id, {expand: ['latest_invoice']})
    expect(afterSwitch.items.data[0]?.price.id).toBe(pro.id)
    // always_invoice bills the proration at once.
    expect(afterSwitch.latest_invoice).toMatchObject({billing_reason: 'subscription_update', status: 'paid'})
    const notice = await (await fetch(new URL(switched.location!, session.url))).text()
    expect(notice).toContain('Your plan was changed.')

    expect(
      await post(session.url, {action: 'switch', subscription: subscription.id, price: 'price_nope'}),
    ).toMatchObject({
      status: 400,
    })
    const newCard = await post(session.url, {
      action: 'payment_method',
      card_number: '5555 5555 5555 4444',
      card_expiry: '01/40',
      card_cvc: '999',
      card_name: 'Jenny Rosen',
    })
    expect(newCard.status).toBe(303)
    const updatedCustomer = await stripe.customers.retrieve(customer.id, {
      expand: ['invoice_settings.default_payment_method'],
    })
    expect(
      ((updatedCustomer as Stripe.Customer).invoice_settings.default_payment_method as Stripe.PaymentMethod).card
        ?.last4,
    ).toBe('4444')

    expect(await post(session.url, {action: 'cancel', subscription: subscription.id})).toMatchObject({
      status: 303,
      location: `/portal/${session.id}?done=cancel_at_period_end`,
    })
    const canceling = await stripe.subscriptions.retrieve(subscription.id)
    expect(canceling).toMatchObject({status: 'active', cancel_at_period_end: true})
    expect(changes.map((change) => change.type)).toContain('customer.subscription.updated')
  })

  it('cancels now when the configuration says immediately', async () => {
    const {stripe} = await setup()
    const {basic} = await plans(stripe)
    const {customer} = await clockWithCustomer(stripe)
    const subscription = await stripe.subscriptions.create({customer: customer.id, items: [{price: basic.id}]})
    const config = await stripe.billingPortal.configurations.create({
      features: {subscription_cancel: {enabled: true, mode: 'immediately'}},
    })
    const session = await stripe.billingPortal.sessions.create({customer: customer.id, configuration: config.id})
    const page = await (await fetch(session.url)).text()
    expect(page).toContain('Cancel subscription now')
    expect(page).not.toContain('Invoice history')
    expect(page).not.toContain('Update plan')
    expect((await post(session.url, {action: 'cancel', subscription: subscription.id})).status).toBe(303)
    expect(await stripe.subscriptions.retrieve(subscription.id)).toMatchObject({status: 'canceled'})
    // Plan changes are refused when the configuration does not enable them.
    expect((await post(session.url, {action: 'switch', subscription: subscription.id, price: basic.id})).status).toBe(
      400,
    )
  })
})
