import {access} from 'node:fs/promises'
import type Stripe from 'stripe'

import {BugError, UserError} from '../errors.js'
import {readJsonFile} from '../files/atomic.js'
import {formatMoney} from '../render/money.js'
import {
  type CurrentRunFile,
  CurrentRunFileSchema,
  PricesFileSchema,
  type SnapshotRow,
  SnapshotsFileSchema,
  outFile,
} from '../files/formats.js'
import {type LedgerFile, LedgerFileSchema, type LedgerItemRow, ledgerFile} from '../files/ledger.js'
import {type LedgerMismatch, compareLedgerMonth} from '../ledger/compare.js'
import type {MrrDefinitions} from '../ledger/definitions.js'
import {LEDGER_SUBSCRIPTION_EXPAND, monthReading} from '../ledger/reading.js'
import {type RenewalCheck, checkRenewals, listRenewals} from '../ledger/renewals.js'
import {snapshotRowsFromLedger} from '../ledger/snapshot-rows.js'
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

/** A difference between mrr_ledger.json's latest month and Stripe now, on the clock it was read from. */
export interface LedgerCheckMismatch extends LedgerMismatch {
  clockId: string
  customerId: string
  reason: string
}

export interface LedgerCheck {
  month: string
  /** Subscription items the ledger lists for its latest month. */
  checked: number
  mismatches: LedgerCheckMismatch[]
}

export interface VerifyResult {
  runId: string
  month: string
  checked: number
  clocks: number
  /** Without a ledger: sub_snapshots.json against Stripe. With one: sub_snapshots.json against the ledger it is derived from. */
  mismatches: Mismatch[]
  /** Only when mrr_ledger.json exists: its latest month against Stripe. */
  ledger?: LedgerCheck
  /** With `months: 'all'` and a ledger: every earlier month against the renewal invoices Stripe made (src/ledger/renewals.ts). */
  renewals?: RenewalCheck & {months: string[]}
  ok: boolean
}

export interface VerifyOptions {
  /** `latest` (the default): the latest month against Stripe now; `all`: every earlier month too, against its renewal invoices. */
  months?: 'latest' | 'all'
}

/**
 * Compares the latest month of sub_snapshots.json with Stripe's live state: plan (through the
 * price), quantity, MRR and status of every subscription of the run. Subscriptions are listed per
 * clock, since objects on a test clock are left out of plain lists (SB-16). When the run
 * wrote mrr_ledger.json, its latest month is checked against Stripe instead (see verifyLedger).
 */
export async function verifyRun(
  gateway: StripeGateway,
  outDir: string,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const hint = 'run `stripe-seed run generate` first (or pass --out-dir)'
  const run = await readJsonFile(outFile(outDir, 'currentRun'), CurrentRunFileSchema, {missingHint: hint})
  const rows = await readJsonFile(outFile(outDir, 'snapshots'), SnapshotsFileSchema, {missingHint: hint})
  const ledgerPath = ledgerFile(outDir)
  if (await exists(ledgerPath)) {
    const ledger = await readJsonFile(ledgerPath, LedgerFileSchema, {missingHint: hint})
    const result = await verifyLedger(gateway, run, rows, ledger)
    if (options.months !== 'all') return result
    const months = ledger.months.slice(0, -1)
    const renewals = checkRenewals(
      ledger.items,
      await listRenewals(gateway, new Set(run.customer_ids), 'verify:renewals'),
      new Set(months),
    )
    return {...result, renewals: {...renewals, months}, ok: result.ok && renewals.mismatches.length === 0}
  }
  if (options.months === 'all')
    throw new UserError(
      `--months all checks mrr_ledger.json's months, and ${outDir} has none: run \`stripe-seed run generate\` again`,
    )
  const prices = await readJsonFile(outFile(outDir, 'prices'), PricesFileSchema, {
    missingHint: 'run `stripe-seed prices seed` first',
  }).catch(() => undefined)
  const month = rows.reduce((latest, row) => (row.month > latest ? row.month : latest), '')
  const expected = new Map(rows.filter((row) => row.month === month).map((row) => [row.subscription_id, row]))
  const runCustomers = new Set(run.customer_ids)
  const planOfPrice = new Map(prices?.plans.map((plan) => [plan.price_id, plan.key]) ?? [])

  const actual = new Map<string, CheckedSubscription>()
  const missingClocks: string[] = []
  await Promise.all(
    run.clock_ids.map(async (clockId) => {
      try {
        const subs = await listAll(
          (startingAfter) =>
            gateway.read(`verify:${clockId}`, (stripe) =>
              stripe.subscriptions.list({test_clock: clockId, status: 'all', limit: 100, ...after(startingAfter)}),
            ),
          toChecked,
        )
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
      mismatches.push(
        mismatch(
          row,
          'missing',
          'present',
          'absent',
          missingClocks.length > 0
            ? `not found in Stripe (clock deleted? ${missingClocks.length} of the run's clocks are gone)`
            : "not found on any of the run's clocks",
        ),
      )
      continue
    }
    mismatches.push(...compare(row, sub, planOfPrice))
  }
  for (const sub of actual.values()) {
    const customer = sub.customerId
    if (expected.has(sub.id) || !runCustomers.has(customer)) continue
    if (sub.status === 'active' || sub.status === 'past_due') {
      mismatches.push({
        subscriptionId: sub.id,
        customerId: customer,
        field: 'unexpected',
        expected: 'absent (not in the snapshot)',
        actual: sub.status,
        reason: `Stripe has a ${sub.status} subscription the snapshot of ${month} does not list`,
      })
    }
  }
  return {
    runId: run.run_id,
    month,
    checked: expected.size,
    clocks: run.clock_ids.length,
    mismatches,
    ok: mismatches.length === 0,
  }
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
  currency: string
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
    currency: item?.price.currency ?? 'usd',
    quantity: item?.quantity ?? 1,
  }
}

function compare(row: SnapshotRow, sub: CheckedSubscription, planOfPrice: Map<string, string>): Mismatch[] {
  const found: Mismatch[] = []
  if (sub.status !== row.status)
    found.push(
      mismatch(
        row,
        'status',
        row.status,
        sub.status,
        `status is ${sub.status} in Stripe, ${row.status} in the snapshot`,
      ),
    )
  if (!sub.priceId) return [...found, mismatch(row, 'plan', row.plan, 'no items', 'the subscription has no items')]
  if (sub.items > 1)
    found.push(mismatch(row, 'plan', '1 item', `${sub.items} items`, 'the subscription has more than one item'))
  const plan = planOfPrice.get(sub.priceId) ?? sub.planHint ?? sub.priceId
  if (sub.priceId !== row.price_id)
    found.push(
      mismatch(
        row,
        'plan',
        `${row.plan} (${row.price_id})`,
        `${plan} (${sub.priceId})`,
        `the price changed from ${row.plan} to ${plan}`,
      ),
    )
  const quantity = sub.quantity
  if (quantity !== row.screens)
    found.push(
      mismatch(
        row,
        'screens',
        String(row.screens),
        String(quantity),
        `quantity is ${quantity} in Stripe, ${row.screens} screens in the snapshot`,
      ),
    )
  const mrr = sub.unitAmount * quantity
  if (mrr !== row.mrr_cents)
    found.push(
      mismatch(
        row,
        'mrr',
        formatMoney(row.mrr_cents, sub.currency),
        formatMoney(mrr, sub.currency),
        `MRR is ${formatMoney(mrr, sub.currency)} in Stripe, ${formatMoney(row.mrr_cents, sub.currency)} in the snapshot`,
      ),
    )
  return found
}

function mismatch(
  row: SnapshotRow,
  field: Mismatch['field'],
  expected: string,
  actual: string,
  reason: string,
): Mismatch {
  return {subscriptionId: row.subscription_id, customerId: row.customer_id, field, expected, actual, reason}
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )

/**
 * With a ledger, the ledger is what Stripe is checked against (interval, discounts, trial state and
 * MRR by the ledger's own definitions), and sub_snapshots.json is checked against the ledger it is
 * derived from (its price_amount is MRR per unit, not a list price, once a scenario has yearly,
 * discounted or other-currency subscriptions).
 */
async function verifyLedger(
  gateway: StripeGateway,
  run: CurrentRunFile,
  rows: SnapshotRow[],
  ledger: LedgerFile,
): Promise<VerifyResult> {
  const month = ledger.months.at(-1) ?? ''
  const ledgerRows = ledger.items.filter((row) => row.month === month)
  const now = await readStripeNow(gateway, run.clock_ids, {
    month,
    definitions: ledger.definitions,
    keep: new Set(ledgerRows.map((row) => row.subscription_id)),
  })
  const mismatches = compareLedgerMonth(ledgerRows, now.rows).map((found): LedgerCheckMismatch => {
    const customerId = [...ledgerRows, ...now.rows].find((row) => row.item_id === found.itemId)?.customer_id ?? ''
    return {
      ...found,
      customerId,
      clockId: now.clockOfCustomer.get(customerId) ?? 'unknown',
      reason: ledgerReason(found, month, now.missingClocks.length),
    }
  })
  mismatches.sort((a, b) => a.clockId.localeCompare(b.clockId) || a.subscriptionId.localeCompare(b.subscriptionId))
  const snapshotMismatches = compareSnapshotsWithLedger(
    rows.filter((row) => row.month === month),
    snapshotRowsFromLedger(ledgerRows, ledger.definitions),
    month,
    ledger.definitions.reportingCurrency,
  )
  return {
    runId: run.run_id,
    month,
    checked: rows.filter((row) => row.month === month).length,
    clocks: run.clock_ids.length,
    mismatches: snapshotMismatches,
    ledger: {month, checked: ledgerRows.length, mismatches},
    ok: mismatches.length === 0 && snapshotMismatches.length === 0,
  }
}

interface StripeNow {
  rows: LedgerItemRow[]
  clockOfCustomer: Map<string, string>
  missingClocks: string[]
}

/**
 * The run's subscriptions read as the ledger reads them (same expand, same definitions), at each
 * clock's current time: one list per clock (its frozen time comes expanded with the page), plus one
 * retrieve per coupon an item-level discount names (too deep to expand). A subscription that ended
 * and is not in the ledger's month is history, not a mismatch.
 */
async function readStripeNow(
  gateway: StripeGateway,
  clockIds: string[],
  context: {month: string; definitions: MrrDefinitions; keep: Set<string>},
): Promise<StripeNow> {
  const clockOfCustomer = new Map<string, string>()
  const missingClocks: string[] = []
  const read: Array<{clockId: string; subscriptions: Stripe.Subscription[]}> = []
  await Promise.all(
    clockIds.map(async (clockId) => {
      try {
        const subscriptions = await listAll(
          (startingAfter) =>
            gateway.read(`verify:${clockId}`, (stripe) =>
              stripe.subscriptions.list({
                test_clock: clockId,
                status: 'all',
                limit: 100,
                expand: [...LEDGER_SUBSCRIPTION_EXPAND, 'data.test_clock'],
                ...after(startingAfter),
              }),
            ),
          (subscription) => subscription,
        )
        read.push({clockId, subscriptions})
        for (const subscription of subscriptions) clockOfCustomer.set(customerOf(subscription), clockId)
      } catch (error) {
        if ((error as {code?: string}).code === 'resource_missing') missingClocks.push(clockId)
        else throw error
      }
    }),
  )
  const coupons = await retrieveCoupons(
    gateway,
    read.flatMap(({subscriptions}) => subscriptions),
  )
  const rows = read.flatMap(({clockId, subscriptions}) => {
    const current = subscriptions.filter(
      (subscription) => subscription.ended_at === null || context.keep.has(subscription.id),
    )
    return current.length === 0
      ? []
      : monthReading(current, {
          month: context.month,
          at: frozenTime(current[0]!, clockId),
          definitions: context.definitions,
          coupons,
        })
  })
  return {rows, clockOfCustomer, missingClocks}
}

function customerOf(subscription: Stripe.Subscription): string {
  return typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id
}

function frozenTime(subscription: Stripe.Subscription, clockId: string): number {
  const clock = subscription.test_clock
  if (clock === null || typeof clock === 'string')
    throw new BugError(`the test clock ${clockId} of ${subscription.id} was not expanded`)
  return clock.frozen_time
}

/** Coupons by id for the discounts whose coupon is not expanded (item-level ones cannot be). */
async function retrieveCoupons(
  gateway: StripeGateway,
  subscriptions: Stripe.Subscription[],
): Promise<Map<string, Stripe.Coupon>> {
  const ids = new Set<string>()
  for (const subscription of subscriptions) {
    const discounts = [...subscription.discounts, ...subscription.items.data.flatMap((item) => item.discounts)]
    for (const discount of discounts)
      if (typeof discount !== 'string' && typeof discount.source.coupon === 'string') ids.add(discount.source.coupon)
  }
  const coupons = new Map<string, Stripe.Coupon>()
  for (const id of ids) coupons.set(id, await gateway.read('verify', (stripe) => stripe.coupons.retrieve(id)))
  return coupons
}

function ledgerReason(found: LedgerMismatch, month: string, missingClocks: number): string {
  switch (found.field) {
    case 'missing':
      return missingClocks > 0
        ? `in the ledger's ${month}, not found in Stripe (clock deleted? ${missingClocks} of the run's clocks are gone)`
        : `in the ledger's ${month}, not found on any of the run's clocks`
    case 'unexpected':
      return `Stripe has this subscription item; the ledger's ${month} does not list it`
    case 'mrr':
      return `MRR is ${found.actual} in Stripe now, ${found.expected} in the ledger`
    case 'trial':
      return `trial state is ${found.actual} in Stripe now, ${found.expected} in the ledger`
    case 'discounts':
      return `discounts in force are ${found.actual} in Stripe now, ${found.expected} in the ledger`
    default:
      return `${found.field} is ${found.actual} in Stripe now, ${found.expected} in the ledger`
  }
}

/** sub_snapshots.json's month against the rows the ledger derives for it (src/ledger/snapshot-rows.ts): the file and the ledger tell one story. */
function compareSnapshotsWithLedger(
  fileRows: SnapshotRow[],
  derived: SnapshotRow[],
  month: string,
  currency: string,
): Mismatch[] {
  const found: Mismatch[] = []
  // A subscription with an add-on has a row per item: matched by price (one item per price, SB-83), else the next one left.
  const fromLedger = new Map<string, SnapshotRow[]>()
  for (const row of derived) fromLedger.set(row.subscription_id, [...(fromLedger.get(row.subscription_id) ?? []), row])
  for (const row of fileRows) {
    const left = fromLedger.get(row.subscription_id) ?? []
    const want = left.find((r) => r.price_id === row.price_id) ?? left[0]
    if (want) left.splice(left.indexOf(want), 1)
    if (!want) {
      found.push(
        mismatch(
          row,
          'unexpected',
          'absent',
          'present',
          `sub_snapshots.json lists it for ${month}; the ledger derives no row for it`,
        ),
      )
      continue
    }
    if (row.status !== want.status)
      found.push(
        mismatch(
          row,
          'status',
          want.status,
          row.status,
          `status is ${row.status} in sub_snapshots.json, ${want.status} in the ledger`,
        ),
      )
    if (row.price_id !== want.price_id)
      found.push(
        mismatch(
          row,
          'plan',
          `${want.plan} (${want.price_id})`,
          `${row.plan} (${row.price_id})`,
          'sub_snapshots.json names another price than the ledger',
        ),
      )
    if (row.screens !== want.screens)
      found.push(
        mismatch(
          row,
          'screens',
          String(want.screens),
          String(row.screens),
          `${row.screens} screens in sub_snapshots.json, quantity ${want.screens} in the ledger`,
        ),
      )
    if (row.mrr_cents !== want.mrr_cents)
      found.push(
        mismatch(
          row,
          'mrr',
          formatMoney(want.mrr_cents, currency),
          formatMoney(row.mrr_cents, currency),
          `MRR is ${formatMoney(row.mrr_cents, currency)} in sub_snapshots.json, the ledger derives ${formatMoney(want.mrr_cents, currency)}`,
        ),
      )
  }
  for (const row of [...fromLedger.values()].flat())
    found.push(
      mismatch(
        row,
        'missing',
        'present',
        'absent',
        `the ledger derives a row for ${month} that sub_snapshots.json does not have`,
      ),
    )
  return found
}
