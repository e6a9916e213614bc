import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {applyScenario} from '../../src/config/scenarios.js'
import {startEmulator} from '../../src/emulator/server.js'
import {type LedgerFile, type LedgerItemRow, LedgerFileSchema, ledgerFile} from '../../src/files/ledger.js'
import type {Cause} from '../../src/snapshots/compare/causes.js'
import {compareWithLedger} from '../../src/snapshots/compare/compare.js'
import {parseTheirNumbers} from '../../src/snapshots/compare/input.js'
import {FAST} from '../helpers/emulator.js'
import {fastConfig, runService} from '../helpers/run-service.js'
import {seedScenarioCatalog} from '../helpers/scenario-catalog.js'

/**
 * `snapshots compare` against dashboards that each make one known mistake, built here from a
 * `--scenario saas` run's ledger: compare must name that mistake for exactly the customers it
 * touches, and find nothing wrong with the right numbers.
 */
const N = 60
const MONTHS = 6
let ledger: LedgerFile
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stripe-seed-compare-'))
  const emulator = await startEmulator(FAST)
  try {
    const config = applyScenario({...fastConfig(), customers: N, months: MONTHS}, 'saas')
    await seedScenarioCatalog(emulator, dir, config)
    const result = await runService(emulator, dir, {customers: N, months: MONTHS, seed: 1, config})
    expect(result.status).toBe('complete')
    ledger = LedgerFileSchema.parse(JSON.parse(await readFile(ledgerFile(dir), 'utf8')))
  } finally {
    await emulator.close()
  }
}, 240_000)
afterAll(async () => {
  if (dir) await rm(dir, {recursive: true, force: true})
})

/** A dashboard's number for one item, as the test writes it: its own arithmetic over the row's facts. */
type Dashboard = (item: LedgerItemRow) => number

/** What the ledger says, item by item: the right dashboard. */
const right: Dashboard = (item) => item.mrr

/** Monthly amount per unit from the list price, with the percent-off coupons `keep` picks. */
function perUnit(item: LedgerItemRow, keep: (duration: string) => boolean, months = monthsOf(item)): number {
  let amount = item.unit_amount / months
  for (const d of item.discounts) {
    if (!keep(d.duration)) continue
    if (d.percent_off === null) throw new Error(`the test does not model amount-off coupons (${d.coupon_id})`)
    amount *= 1 - d.percent_off / 100
  }
  return Math.floor(amount + 0.5)
}
const monthsOf = (item: LedgerItemRow) =>
  (({year: 12, month: 1})[item.interval as 'year' | 'month'] ?? Number.NaN) * item.interval_count
const counted = (item: LedgerItemRow) => item.mrr > 0
const ours = (duration: string) => duration === 'forever'

/** Per customer, month and currency, in cents, as a CSV. */
function csvOf(dashboard: Dashboard, withCurrency = true): string {
  const totals = new Map<string, number>()
  for (const item of ledger.items) {
    const k = [item.month, item.customer_id, ...(withCurrency ? [item.currency] : [])].join(',')
    totals.set(k, (totals.get(k) ?? 0) + dashboard(item))
  }
  const header = withCurrency ? 'month,customer_id,currency,mrr' : 'month,customer_id,mrr'
  return [header, ...[...totals].filter(([, mrr]) => mrr > 0).map(([k, mrr]) => `${k},${mrr}`)].join('\n')
}

function compare(csv: string) {
  const theirs = parseTheirNumbers(csv, {
    file: 'dashboard.csv',
    format: 'csv',
    unit: 'cents',
    defaultCurrency: ledger.definitions.reportingCurrency,
  })
  return compareWithLedger(ledger, theirs, {tolerance: 0})
}

/** The customer-months a mistake touches: those where some item's number changes. */
function touched(dashboard: Dashboard): string[] {
  const changed = new Set<string>()
  for (const item of ledger.items) if (dashboard(item) !== item.mrr) changed.add(`${item.month} ${item.customer_id}`)
  return [...changed].sort()
}

const wrongDashboards: Array<[Cause, Dashboard]> = [
  ['trial_counted', (item) => (item.status === 'trialing' ? item.unit_mrr * item.quantity : item.mrr)],
  [
    'interval_not_normalised',
    (item) => (counted(item) && item.interval !== 'month' ? perUnit(item, ours, 1) * item.quantity : item.mrr),
  ],
  [
    'repeating_coupon_subtracted',
    (item) =>
      counted(item) && item.discounts.some((d) => d.duration === 'repeating')
        ? perUnit(item, (d) => d === 'forever' || d === 'repeating') * item.quantity
        : item.mrr,
  ],
  [
    'forever_coupon_not_subtracted',
    (item) =>
      counted(item) && item.discounts.some((d) => d.duration === 'forever')
        ? perUnit(item, () => false) * item.quantity
        : item.mrr,
  ],
  [
    'scheduled_cancellation_counted',
    (item) => (item.excluded === 'scheduled_cancellation' ? item.unit_mrr * item.quantity : item.mrr),
  ],
  ['past_due_dropped', (item) => (item.status === 'past_due' ? 0 : item.mrr)],
  [
    'ended_counted',
    (item) => (item.status === 'canceled' || item.status === 'unpaid' ? item.unit_mrr * item.quantity : item.mrr),
  ],
  ['quantity_ignored', (item) => (counted(item) && item.quantity > 1 ? item.unit_mrr : item.mrr)],
]

describe('snapshots compare against a --scenario saas run', () => {
  it('finds nothing wrong with the right numbers, per customer and as totals', () => {
    const result = compare(csvOf(right))
    expect(result.differences).toEqual([])
    expect(result.matches).toBe(true)
    expect(result.months.length).toBeGreaterThanOrEqual(ledger.months.length * 3) // usd, eur, gbp
    for (const line of result.months) expect(line.yours).toBe(line.truth)
  })

  it.each(wrongDashboards)('names "%s" for exactly the customers that mistake touches', (cause, dashboard) => {
    const expected = touched(dashboard)
    expect(expected.length, 'the scenario has a case of this mistake').toBeGreaterThan(0)
    const result = compare(csvOf(dashboard))
    expect(result.matches).toBe(false)
    expect(result.differences.map((d) => `${d.month} ${d.key}`).sort()).toEqual(expected)
    for (const difference of result.differences) {
      expect(difference.causes, `${difference.month} ${difference.key}`).toContain(cause)
      expect(difference.combined).toBe(false)
    }
  })

  it('names a reactivation missed when a dashboard keeps only each customer’s first subscription', () => {
    const first = new Map<string, string>()
    for (const item of ledger.items) if (!first.has(item.customer_id)) first.set(item.customer_id, item.subscription_id)
    const dashboard: Dashboard = (item) => (first.get(item.customer_id) === item.subscription_id ? item.mrr : 0)
    const expected = touched(dashboard)
    expect(expected.length).toBeGreaterThan(0)
    const result = compare(csvOf(dashboard))
    expect(result.differences.map((d) => `${d.month} ${d.key}`).sort()).toEqual(expected)
    for (const difference of result.differences) {
      expect(difference.causes).toContain('reactivation_missed')
      expect(difference.side).toBe('truth')
    }
  })

  it('names currencies summed unconverted when amounts in EUR and GBP are added as if USD', () => {
    const result = compare(csvOf(right, false))
    expect(result.matches).toBe(false)
    const foreign = new Set(
      ledger.items.filter((item) => item.currency !== 'usd' && item.mrr > 0).map((i) => `${i.month} ${i.customer_id}`),
    )
    expect(result.differences.map((d) => `${d.month} ${d.key}`).sort()).toEqual([...foreign].sort())
    for (const difference of result.differences) expect(difference.causes).toEqual(['currency_unconverted'])
  })

  it('names two mistakes made together, and says "unexplained" with both values for a number no mistake gives', () => {
    const both: Dashboard = (item) => {
      if (item.status === 'trialing') return item.unit_mrr
      return item.mrr
    }
    const trialWithSeats = ledger.items.find((item) => item.status === 'trialing' && item.quantity > 1)!
    const result = compare(csvOf(both))
    const pair = result.differences.find(
      (d) => d.month === trialWithSeats.month && d.key === trialWithSeats.customer_id,
    )!
    expect(pair.combined).toBe(true)
    expect(pair.causes.sort()).toEqual(['quantity_ignored', 'trial_counted'])

    const someone = ledger.items.find((item) => item.mrr > 0)!
    const odd = compare(csvOf((item) => (item === someone ? item.mrr + 1234 : item.mrr)))
    expect(odd.differences).toEqual([
      expect.objectContaining({
        month: someone.month,
        key: someone.customer_id,
        yours: someone.mrr + 1234,
        truth: someone.mrr,
        causes: [],
        explanation: 'unexplained',
      }),
    ])
  })

  it('explains totals per month: a dashboard that counts trials is named for the months with trials', () => {
    const totals = new Map<string, number>()
    for (const item of ledger.items) {
      const k = `${item.month},${item.currency}`
      totals.set(k, (totals.get(k) ?? 0) + (item.status === 'trialing' ? item.unit_mrr * item.quantity : item.mrr))
    }
    const csv = ['month,currency,mrr', ...[...totals].map(([k, mrr]) => `${k},${(mrr / 100).toFixed(2)}`)].join('\n')
    const theirs = parseTheirNumbers(csv, {file: 't.csv', format: 'csv', unit: 'units', defaultCurrency: 'usd'})
    const result = compareWithLedger(ledger, theirs, {tolerance: 0})
    expect(theirs.grain).toBe('total')
    const trialMonths = new Set(
      ledger.items.filter((i) => i.status === 'trialing').map((i) => `${i.month} ${i.currency}`),
    )
    expect(result.differences.map((d) => `${d.month} ${d.currency}`).sort()).toEqual([...trialMonths].sort())
    for (const difference of result.differences) expect(difference.causes).toEqual(['trial_counted'])
  })
})
