import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {defaultConfig} from '../../src/config/schema.js'
import {type CurrentRunFile, type SnapshotRow, outFile} from '../../src/files/formats.js'
import type {LedgerDiscount, LedgerItemRow} from '../../src/files/ledger.js'
import {MrrDefinitionsSchema} from '../../src/ledger/definitions.js'
import {buildLedger} from '../../src/ledger/movements.js'
import {snapshotRowsFromLedger} from '../../src/ledger/snapshot-rows.js'
import {writeLedger} from '../../src/ledger/store.js'
import {verifyRun} from '../../src/run/verify.js'
import {StripeGateway} from '../../src/stripe/gateway.js'
import {useEmulator} from '../helpers/emulator.js'
import {useTempDirs} from '../helpers/tmp.js'

const emulator = useEmulator()
const tempDir = useTempDirs()
const START = Date.UTC(2026, 0, 1) / 1000
const MONTH = '2026-01'

function sdk(): Stripe {
  return new Stripe('sk_test_verify', {
    host: '127.0.0.1',
    port: emulator().port,
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 0,
  })
}

function gateway(): StripeGateway {
  const {scheduler} = defaultConfig()
  return new StripeGateway({
    apiKey: 'sk_test_verify',
    apiBase: emulator().url,
    scheduler: {...scheduler, perLaneRps: 500, maxRps: 1000, maxInFlight: 20},
  })
}

/**
 * A run made by hand on two clocks: a monthly subscription under a 20 % forever coupon, a yearly
 * one, and one in its trial. The ledger's rows are written out with their MRR worked out here from
 * the terms, not read back through the code under test.
 */
async function handMadeRun() {
  const stripe = sdk()
  const standard = await stripe.prices.create({
    currency: 'usd',
    unit_amount: 1000,
    recurring: {interval: 'month'},
    product_data: {name: 'Standard'},
    metadata: {stripe_seed_plan: 'standard'},
  })
  const yearly = await stripe.prices.create({
    currency: 'usd',
    unit_amount: 14_400,
    recurring: {interval: 'year'},
    product_data: {name: 'Pro Plus'},
    metadata: {stripe_seed_plan: 'pro_plus'},
  })
  const coupon = await stripe.coupons.create({id: `verify_20_${Date.now()}`, percent_off: 20, duration: 'forever'})
  const clockA = await stripe.testHelpers.testClocks.create({frozen_time: START})
  const clockB = await stripe.testHelpers.testClocks.create({frozen_time: START})
  const customer = (clock: string) =>
    stripe.customers.create({
      test_clock: clock,
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
  const [alpha, bravo, charlie] = [await customer(clockA.id), await customer(clockA.id), await customer(clockB.id)]
  const discounted = await stripe.subscriptions.create({
    customer: alpha.id,
    items: [{price: standard.id, quantity: 3}],
    discounts: [{coupon: coupon.id}],
  })
  const annual = await stripe.subscriptions.create({customer: bravo.id, items: [{price: yearly.id, quantity: 2}]})
  const trialing = await stripe.subscriptions.create({
    customer: charlie.id,
    items: [{price: standard.id, quantity: 2}],
    trial_period_days: 14,
  })

  const twentyOff: LedgerDiscount = {
    coupon_id: coupon.id,
    level: 'subscription',
    percent_off: 20,
    amount_off: null,
    duration: 'forever',
    ends_at: null,
    counted: true,
  }
  const row = (
    sub: Stripe.Subscription,
    plan: string,
    fields: Pick<
      LedgerItemRow,
      | 'status'
      | 'interval'
      | 'unit_amount'
      | 'quantity'
      | 'trial'
      | 'discounts'
      | 'list_mrr'
      | 'unit_mrr'
      | 'mrr'
      | 'excluded'
    >,
  ): LedgerItemRow => ({
    month: MONTH,
    customer_id: sub.customer as string,
    subscription_id: sub.id,
    item_id: sub.items.data[0]!.id,
    plan,
    price_id: sub.items.data[0]!.price.id,
    currency: 'usd',
    interval_count: 1,
    cancel_at: null,
    mrr_reporting: fields.mrr,
    ...fields,
  })
  const items = [
    // 10.00 × 3 less 20 % forever (it counts, SB-M2): 24.00 a month.
    row(discounted, 'standard', {
      status: 'active',
      interval: 'month',
      unit_amount: 1000,
      quantity: 3,
      trial: 'none',
      discounts: [twentyOff],
      list_mrr: 3000,
      unit_mrr: 800,
      mrr: 2400,
      excluded: null,
    }),
    // 144.00 a year per seat is 12.00 a month (SB-M1), × 2.
    row(annual, 'pro_plus', {
      status: 'active',
      interval: 'year',
      unit_amount: 14_400,
      quantity: 2,
      trial: 'none',
      discounts: [],
      list_mrr: 2400,
      unit_mrr: 1200,
      mrr: 2400,
      excluded: null,
    }),
    // A trial carries no MRR (SB-M1).
    row(trialing, 'standard', {
      status: 'trialing',
      interval: 'month',
      unit_amount: 1000,
      quantity: 2,
      trial: 'trialing',
      discounts: [],
      list_mrr: 2000,
      unit_mrr: 1000,
      mrr: 0,
      excluded: 'trialing',
    }),
  ]
  const definitions = MrrDefinitionsSchema.parse({})
  const outDir = join(await tempDir(), 'config')
  await mkdir(outDir)
  const run: CurrentRunFile = {
    run_timestamp: new Date(START * 1000).toISOString(),
    customer_ids: [alpha.id, bravo.id, charlie.id],
    clock_ids: [clockA.id, clockB.id],
    run_id: 'hand-made',
    seed: 1,
    months: 1,
    start_time: new Date(START * 1000).toISOString(),
    status: 'complete',
    plan_summary: {customers: 3, clocks: 2, plans: {}, events: {}},
    failed_clocks: [],
    requests: {total: 0, retries: 0, rate_limited: 0},
    wall_time_seconds: 1,
  }
  const snapshots: SnapshotRow[] = snapshotRowsFromLedger(items, definitions)
  await writeFile(outFile(outDir, 'currentRun'), JSON.stringify(run))
  await writeFile(outFile(outDir, 'snapshots'), JSON.stringify(snapshots))
  await writeLedger(outDir, buildLedger(definitions, [MONTH], items))
  return {stripe, outDir, clockA, clockB, discounted, annual, trialing, coupon, snapshots}
}

describe('run verify with mrr_ledger.json (in-process emulator, real SDK)', () => {
  it('passes when Stripe holds what the ledger says, in one list per clock and one read per coupon', async () => {
    const {outDir, coupon} = await handMadeRun()
    const gw = gateway()
    try {
      const before = emulator().requestLog.length
      const result = await verifyRun(gw, outDir)
      expect(result).toMatchObject({ok: true, mismatches: [], ledger: {month: MONTH, checked: 3, mismatches: []}})
      // A discount names its coupon by id (SB-58): the coupon is read once, whatever the number of discounts.
      expect(
        emulator()
          .requestLog.slice(before)
          .map((r) => `${r.method} ${r.path}`),
      ).toEqual(['GET /v1/subscriptions', 'GET /v1/subscriptions', `GET /v1/coupons/${coupon.id}`])
    } finally {
      await gw.close()
    }
  })

  it("catches a subscription changed behind the tool's back, with the clock and the reason", async () => {
    const {stripe, outDir, clockA, clockB, discounted, trialing} = await handMadeRun()
    await stripe.subscriptions.update(discounted.id, {
      items: [{id: discounted.items.data[0]!.id, quantity: 5}],
      discounts: '',
      proration_behavior: 'none',
    })
    await stripe.subscriptions.update(trialing.id, {trial_end: 'now'})
    const gw = gateway()
    try {
      const result = await verifyRun(gw, outDir)
      expect(result.ok).toBe(false)
      const found = result.ledger!.mismatches.map(({clockId, subscriptionId, field, expected, actual, reason}) => ({
        clockId,
        subscriptionId,
        field,
        expected,
        actual,
        reason,
      }))
      expect(found).toEqual(
        [
          {
            clockId: clockA.id,
            subscriptionId: discounted.id,
            field: 'quantity',
            expected: '3',
            actual: '5',
            reason: 'quantity is 5 in Stripe now, 3 in the ledger',
          },
          {
            clockId: clockA.id,
            subscriptionId: discounted.id,
            field: 'discounts',
            expected: result.ledger!.mismatches.find((m) => m.field === 'discounts')!.expected,
            actual: 'none',
            reason: expect.stringMatching(/^discounts in force are none in Stripe now, verify_20_\d+ in the ledger$/),
          },
          // No discount any more: 10.00 × 5.
          {
            clockId: clockA.id,
            subscriptionId: discounted.id,
            field: 'mrr',
            expected: '$24.00',
            actual: '$50.00',
            reason: 'MRR is $50.00 in Stripe now, $24.00 in the ledger',
          },
          {
            clockId: clockB.id,
            subscriptionId: trialing.id,
            field: 'status',
            expected: 'trialing',
            actual: 'active',
            reason: 'status is active in Stripe now, trialing in the ledger',
          },
          {
            clockId: clockB.id,
            subscriptionId: trialing.id,
            field: 'trial',
            expected: 'trialing',
            actual: 'ended',
            reason: 'trial state is ended in Stripe now, trialing in the ledger',
          },
          {
            clockId: clockB.id,
            subscriptionId: trialing.id,
            field: 'mrr',
            expected: '$0.00',
            actual: '$20.00',
            reason: 'MRR is $20.00 in Stripe now, $0.00 in the ledger',
          },
        ].sort((a, b) => a.clockId.localeCompare(b.clockId) || a.subscriptionId.localeCompare(b.subscriptionId)),
      )
      // The files agree with each other: only Stripe changed.
      expect(result.mismatches).toEqual([])
    } finally {
      await gw.close()
    }
  })

  it('a sub_snapshots.json that says other than the ledger is caught without asking Stripe anything new', async () => {
    const {outDir, annual, snapshots} = await handMadeRun()
    await writeFile(
      outFile(outDir, 'snapshots'),
      JSON.stringify(
        snapshots.map((row) =>
          row.subscription_id === annual.id ? {...row, price_amount: 14_400, mrr_cents: 28_800} : row,
        ),
      ),
    )
    const gw = gateway()
    try {
      const result = await verifyRun(gw, outDir)
      expect(result.ledger!.mismatches).toEqual([])
      expect(result.mismatches).toEqual([
        {
          subscriptionId: annual.id,
          customerId: annual.customer,
          field: 'mrr',
          expected: '$24.00',
          actual: '$288.00',
          reason: 'MRR is $288.00 in sub_snapshots.json, the ledger derives $24.00',
        },
      ])
      expect(result.ok).toBe(false)
    } finally {
      await gw.close()
    }
  })
})
