import type Stripe from 'stripe'

import {readJsonFile} from '../files/atomic.js'
import {CurrentRunFileSchema, PricesFileSchema, type SnapshotRow, SnapshotsFileSchema, outFile} from '../files/formats.js'
import type {StripeGateway} from '../stripe/gateway.js'
import {after, listAll} from '../stripe/pagination.js'

export interface Mismatch {
  subscriptionId: string
  customerId: string
  field: 'missing' | 'status' | 'plan' | 'screens' | 'mrr' | 'unexpected'
  expected: string
  actual: string
  reason: string
}

export interface VerifyResult {
  runId: string
  month: string
  checked: number
  clocks: number
  mismatches: Mismatch[]
  ok: boolean
}

/**
 * Compares the latest month of sub_snapshots.json with Stripe's live state: plan (through the
 * price), quantity, MRR and status of every subscription of the run. Subscriptions are listed per
 * clock, since objects on a test clock are left out of plain lists (stripe-facts #10).
 */
export async function verifyRun(gateway: StripeGateway, outDir: string): Promise<VerifyResult> {
  const hint = 'run `stripe-seed run generate` first (or pass --out-dir)'
  const run = await readJsonFile(outFile(outDir, 'currentRun'), CurrentRunFileSchema, {missingHint: hint})
  const rows = await readJsonFile(outFile(outDir, 'snapshots'), SnapshotsFileSchema, {missingHint: hint})
  const prices = await readJsonFile(outFile(outDir, 'prices'), PricesFileSchema, {missingHint: 'run `stripe-seed prices seed` first'}).catch(() => undefined)
  const month = rows.reduce((latest, row) => (row.month > latest ? row.month : latest), '')
  const expected = new Map(rows.filter((row) => row.month === month).map((row) => [row.subscription_id, row]))
  const runCustomers = new Set(run.customer_ids)
  const planOfPrice = new Map(prices?.plans.map((plan) => [plan.price_id, plan.key]) ?? [])

  const actual = new Map<string, CheckedSubscription>()
  const missingClocks: string[] = []
  await Promise.all(
    run.clock_ids.map(async (clockId) => {
      try {
        const subs = await listAll((startingAfter) => gateway.read(`verify:${clockId}`, (stripe) => stripe.subscriptions.list({test_clock: clockId, status: 'all', limit: 100, ...after(startingAfter)})), toChecked)
        for (const sub of subs) actual.set(sub.id, sub)
      } catch (error) {
        if ((error as {code?: string}).code === 'resource_missing') missingClocks.push(clockId)
        else throw error
      }
    }),
  )

  const mismatches: Mismatch[] = []
  for (const row of expected.values()) {
    const sub = actual.get(row.subscription_id)
    if (!sub) {
      mismatches.push(mismatch(row, 'missing', 'present', 'absent', missingClocks.length > 0 ? `not found in Stripe (clock deleted? ${missingClocks.length} of the run's clocks are gone)` : 'not found on any of the run\'s clocks'))
      continue
    }
    mismatches.push(...compare(row, sub, planOfPrice))
  }
  for (const sub of actual.values()) {
    const customer = sub.customerId
    if (expected.has(sub.id) || !runCustomers.has(customer)) continue
    if (sub.status === 'active' || sub.status === 'past_due') {
      mismatches.push({subscriptionId: sub.id, customerId: customer, field: 'unexpected', expected: 'absent (not in the snapshot)', actual: sub.status, reason: `Stripe has a ${sub.status} subscription the snapshot of ${month} does not list`})
    }
  }
  return {runId: run.run_id, month, checked: expected.size, clocks: run.clock_ids.length, mismatches, ok: mismatches.length === 0}
}

/** What verify compares, taken from each subscription as its page arrives. */
interface CheckedSubscription {
  id: string
  customerId: string
  status: string
  items: number
  priceId?: string
  planHint?: string
  unitAmount: number
  quantity: number
}

function toChecked(sub: Stripe.Subscription): CheckedSubscription {
  const item = sub.items.data[0]
  return {
    id: sub.id,
    customerId: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
    status: sub.status,
    items: sub.items.data.length,
    priceId: item?.price.id,
    planHint: item?.price.metadata.stripe_seed_plan,
    unitAmount: item?.price.unit_amount ?? 0,
    quantity: item?.quantity ?? 1,
  }
}

function compare(row: SnapshotRow, sub: CheckedSubscription, planOfPrice: Map<string, string>): Mismatch[] {
  const found: Mismatch[] = []
  if (sub.status !== row.status) found.push(mismatch(row, 'status', row.status, sub.status, `status is ${sub.status} in Stripe, ${row.status} in the snapshot`))
  if (!sub.priceId) return [...found, mismatch(row, 'plan', row.plan, 'no items', 'the subscription has no items')]
  if (sub.items > 1) found.push(mismatch(row, 'plan', '1 item', `${sub.items} items`, 'the subscription has more than one item'))
  const plan = planOfPrice.get(sub.priceId) ?? sub.planHint ?? sub.priceId
  if (sub.priceId !== row.price_id) found.push(mismatch(row, 'plan', `${row.plan} (${row.price_id})`, `${plan} (${sub.priceId})`, `the price changed from ${row.plan} to ${plan}`))
  const quantity = sub.quantity
  if (quantity !== row.screens) found.push(mismatch(row, 'screens', String(row.screens), String(quantity), `quantity is ${quantity} in Stripe, ${row.screens} screens in the snapshot`))
  const mrr = sub.unitAmount * quantity
  if (mrr !== row.mrr_cents) found.push(mismatch(row, 'mrr', String(row.mrr_cents), String(mrr), `MRR is ${mrr} cents in Stripe, ${row.mrr_cents} in the snapshot`))
  return found
}

function mismatch(row: SnapshotRow, field: Mismatch['field'], expected: string, actual: string, reason: string): Mismatch {
  return {subscriptionId: row.subscription_id, customerId: row.customer_id, field, expected, actual, reason}
}
