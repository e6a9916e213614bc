import Stripe from 'stripe'
import {expect} from 'vitest'

import type {RunningEmulator} from '../../src/emulator/server.js'

export const START = Date.UTC(2026, 0, 1) / 1000 // 2026-01-01T00:00:00Z, a Thursday
export const HOUR = 3600
export const DAY = 86_400

/** The real stripe SDK pointed at an emulator, without retries (tests want the first answer). */
export function sdk(
  emulator: RunningEmulator,
  key = 'sk_test_emulator',
  extra: Partial<Stripe.StripeConfig> = {},
): Stripe {
  const url = new URL(emulator.url)
  return new Stripe(key, {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 0,
    ...extra,
  })
}

/** Waits on the clock's state (never on time) until its advance is over. */
export async function waitReady(stripe: Stripe, clockId: string): Promise<Stripe.TestHelpers.TestClock> {
  for (let i = 0; i < 500; i++) {
    const clock = await stripe.testHelpers.testClocks.retrieve(clockId)
    if (clock.status !== 'advancing') return clock
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error('clock never became ready')
}

export async function advance(stripe: Stripe, clockId: string, to: number): Promise<Stripe.TestHelpers.TestClock> {
  const started = await stripe.testHelpers.testClocks.advance(clockId, {frozen_time: to})
  expect(started.status).toBe('advancing')
  const clock = await waitReady(stripe, clockId)
  expect(clock).toMatchObject({status: 'ready', frozen_time: to})
  return clock
}

export async function monthlyPrice(
  stripe: Stripe,
  unitAmount: number,
  name = `Plan ${unitAmount}`,
  recurring: Stripe.PriceCreateParams.Recurring = {interval: 'month'},
  currency = 'usd',
): Promise<Stripe.Price> {
  return stripe.prices.create({currency, unit_amount: unitAmount, recurring, product_data: {name}})
}

/** A clock at `frozenTime` with one customer paying by pm_card_visa (SB-22). */
export async function clockWithCustomer(stripe: Stripe, frozenTime = START, card: string | null = 'pm_card_visa') {
  const clock = await stripe.testHelpers.testClocks.create({frozen_time: frozenTime, name: 'emulator-test'})
  const customer = await stripe.customers.create({
    test_clock: clock.id,
    ...(card ? {payment_method: card, invoice_settings: {default_payment_method: card}} : {}),
  })
  return {clock, customer}
}

export async function invoice(stripe: Stripe, id: string | Stripe.Invoice | null): Promise<Stripe.Invoice> {
  if (!id) throw new Error('no invoice')
  return stripe.invoices.retrieve(typeof id === 'string' ? id : id.id)
}
