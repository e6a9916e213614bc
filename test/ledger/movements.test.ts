import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {type SnapshotRow, SnapshotsFileSchema} from '../../src/files/formats.js'
import {type LedgerItemRow, LedgerFileSchema} from '../../src/files/ledger.js'
import {compareLedgerMonth} from '../../src/ledger/compare.js'
import {defaultMrrDefinitions, MrrDefinitionsSchema} from '../../src/ledger/definitions.js'
import {monthMetrics} from '../../src/ledger/metrics.js'
import {ledgerItemRows} from '../../src/ledger/mrr.js'
import {buildLedger, sumMovements} from '../../src/ledger/movements.js'
import {monthReading} from '../../src/ledger/reading.js'
import {ledgerFromSnapshots, snapshotRowsFromLedger} from '../../src/ledger/snapshot-rows.js'
import {type SubscriptionSpec, subscription} from '../helpers/stripe-objects.js'

const MONTHS = ['2026-01', '2026-02', '2026-03', '2026-04']
const definitions = defaultMrrDefinitions()

/** Item rows of one reading of each subscription spec, in month order. */
function history(readings: Record<string, SubscriptionSpec[]>, defs = definitions): LedgerItemRow[] {
  return Object.entries(readings).flatMap(([month, specs]) =>
    specs.flatMap((spec) =>
      ledgerItemRows(subscription(spec), {month, at: Date.parse(`${month}-28T00:00:00Z`) / 1000, definitions: defs}),
    ),
  )
}

const monthly = (
  customer: string,
  id: string,
  unitAmount: number,
  quantity = 1,
  extra: Partial<SubscriptionSpec> = {},
): SubscriptionSpec => ({customer, id, items: [{unitAmount, quantity, plan: `p${unitAmount}`}], ...extra})

describe('movements per customer and month (SB-M4, SB-M5)', () => {
  it('classifies new, expansion, contraction, churn and reactivation, and sums them to the change in MRR', () => {
    const items = history({
      '2026-01': [monthly('a', 'sub_a', 1000, 2), monthly('b', 'sub_b', 1500, 10), monthly('c', 'sub_c', 3000, 5)],
      '2026-02': [
        monthly('a', 'sub_a', 1500, 5),
        monthly('b', 'sub_b', 1500, 6),
        monthly('c', 'sub_c', 3000, 5, {status: 'canceled'}),
      ],
      '2026-03': [monthly('a', 'sub_a', 1500, 5), monthly('b', 'sub_b', 1500, 6), monthly('c', 'sub_c2', 3000, 1)],
      '2026-04': [monthly('a', 'sub_a', 1500, 5, {status: 'trialing'}), monthly('b', 'sub_b', 1500, 6)],
    })
    const ledger = LedgerFileSchema.parse(buildLedger(definitions, MONTHS, items))
    const of = (month: string, customer: string) =>
      ledger.customers.find((row) => row.month === month && row.customer_id === customer)
    expect(of('2026-01', 'a')).toMatchObject({movement: 'new', previous_mrr: 0, mrr: 2000})
    expect(of('2026-02', 'a')).toMatchObject({movement: 'expansion', change: 5500})
    expect(of('2026-02', 'b')).toMatchObject({movement: 'contraction', change: -6000})
    expect(of('2026-02', 'c')).toMatchObject({movement: 'churn', change: -15_000})
    expect(of('2026-03', 'c')).toMatchObject({movement: 'reactivation', change: 3000})
    expect(of('2026-04', 'a')).toMatchObject({movement: 'churn', mrr: 0}) // back in a trial: no MRR
    expect(of('2026-04', 'c')).toMatchObject({movement: 'churn'}) // gone from the reading entirely
    const [jan, feb, mar, apr] = monthMetrics(ledger)
    expect(feb!.currencies[0]!.movements).toEqual({
      new: 0,
      expansion: 5500,
      contraction: 6000,
      churn: 15_000,
      reactivation: 0,
      net: -15_500,
    })
    expect(feb!.currencies[0]!.mrr - jan!.currencies[0]!.mrr).toBe(-15_500)
    expect(mar!.subscribers).toMatchObject({active: 3, new: 0, reactivated: 1, churned: 0})
    expect(apr!.subscribers).toMatchObject({active: 1, churned: 2, churnRate: 2 / 3})
  })

  it('a customer with two subscriptions who cancels both makes a contraction, then a churn (SB-M4)', () => {
    const items = history({
      '2026-01': [monthly('a', 'sub_1', 1000), monthly('a', 'sub_2', 2000)],
      '2026-02': [monthly('a', 'sub_1', 1000, 1, {status: 'canceled'}), monthly('a', 'sub_2', 2000)],
      '2026-03': [monthly('a', 'sub_2', 2000, 1, {status: 'canceled'})],
    })
    const ledger = buildLedger(definitions, MONTHS.slice(0, 3), items)
    expect(ledger.customers.map((row) => row.movement)).toEqual(['new', 'contraction', 'churn'])
    expect(monthMetrics(ledger).map((m) => m.subscribers.churned)).toEqual([0, 0, 1])
  })

  it('keeps currencies apart: MRR and movements per currency, a total only when every currency has a rate', () => {
    const items = (defs = definitions) =>
      history(
        {
          '2026-01': [monthly('a', 'sub_a', 1000), monthly('b', 'sub_b', 2000, 1, {currency: 'eur'})],
          '2026-02': [monthly('a', 'sub_a', 1000), monthly('b', 'sub_b', 3000, 1, {currency: 'eur'})],
        },
        defs,
      )
    const [, feb] = monthMetrics(buildLedger(definitions, MONTHS.slice(0, 2), items()))
    expect(feb!.currencies.map((c) => [c.currency, c.mrr, c.movements.expansion])).toEqual([
      ['eur', 3000, 1000],
      ['usd', 1000, 0],
    ])
    expect(feb!.reporting).toBeNull()
    const withRates = MrrDefinitionsSchema.parse({fxRates: {eur: 1.1}})
    const [, converted] = monthMetrics(buildLedger(withRates, MONTHS.slice(0, 2), items(withRates)))
    expect(converted!.reporting).toEqual({currency: 'usd', mrr: 1000 + 3300})
  })

  it("property: for any history, each month's movements sum to its change in MRR, per currency", () => {
    const reading = fc.record({
      mrr: fc.oneof(fc.constant(0), fc.integer({min: 1, max: 50_000})),
      status: fc.constantFrom('active', 'past_due', 'canceled', 'trialing', 'unpaid'),
      currency: fc.constantFrom('usd', 'eur'),
    })
    const customerHistory = fc.array(fc.option(reading, {nil: undefined}), {
      minLength: MONTHS.length,
      maxLength: MONTHS.length,
    })
    fc.assert(
      fc.property(fc.array(customerHistory, {minLength: 1, maxLength: 8}), (customers) => {
        const readings: Record<string, SubscriptionSpec[]> = Object.fromEntries(MONTHS.map((m) => [m, []]))
        customers.forEach((months, c) =>
          months.forEach(
            (r, m) =>
              r &&
              readings[MONTHS[m]!]!.push(
                monthly(`cus_${c}`, `sub_${c}_${r.currency}`, r.mrr, 1, {
                  status: r.status as SubscriptionSpec['status'],
                  currency: r.currency,
                }),
              ),
          ),
        )
        const ledger = buildLedger(definitions, MONTHS, history(readings))
        const metrics = monthMetrics(ledger)
        for (const currency of ['usd', 'eur']) {
          let before = 0
          for (const month of metrics) {
            const here = month.currencies.find((c) => c.currency === currency)
            const mrr = here?.mrr ?? 0
            const itemsMrr = ledger.items
              .filter((i) => i.month === month.month && i.currency === currency)
              .reduce((sum, i) => sum + i.mrr, 0)
            expect(mrr).toBe(itemsMrr)
            const moves = here?.movements ?? sumMovements([])
            // The first reading is the opening balance: nothing moved into it.
            if (month.opening) {
              expect(moves).toEqual(sumMovements([]))
              before = mrr
              continue
            }
            expect(moves.new + moves.expansion + moves.reactivation - moves.contraction - moves.churn).toBe(
              mrr - before,
            )
            expect(moves.net).toBe(mrr - before)
            before = mrr
          }
        }
      }),
    )
  })
})

describe('sub_snapshots.json from the ledger', () => {
  const snapshotRow = fc.record({
    customer: fc.integer({min: 0, max: 20}),
    plan: fc.constantFrom('free', 'standard', 'pro_plus'),
    screens: fc.integer({min: 1, max: 100}),
    status: fc.constantFrom<'active' | 'past_due'>('active', 'past_due'),
  })

  it('the default (monthly USD, no discounts) gives the same rows as today, field for field', () => {
    const amount = {free: 0, standard: 1000, pro_plus: 1500}
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(snapshotRow, {selector: (r) => r.customer, maxLength: 10}), {
          minLength: 1,
          maxLength: 4,
        }),
        (months) => {
          const rows: SnapshotRow[] = months.flatMap((monthRows, m) =>
            monthRows.map((r) => ({
              month: MONTHS[m]!,
              customer_id: `cus_${r.customer}`,
              subscription_id: `sub_${r.customer}`,
              plan: r.plan,
              price_id: `price_${r.plan}`,
              price_amount: amount[r.plan],
              screens: r.screens,
              mrr_cents: amount[r.plan] * r.screens,
              status: r.status,
            })),
          )
          const ledger = LedgerFileSchema.parse(ledgerFromSnapshots(rows, definitions))
          expect(snapshotRowsFromLedger(ledger.items, definitions)).toEqual(rows)
        },
      ),
    )
  })

  it("read from Stripe subscriptions, a default history's rows are exactly what the run writes today", () => {
    const items = history({
      '2026-01': [
        monthly('a', 'sub_a', 1000, 3),
        monthly('b', 'sub_b', 0, 2),
        monthly('c', 'sub_c', 4500, 30, {status: 'past_due'}),
      ],
    })
    expect(snapshotRowsFromLedger(items, definitions)).toEqual([
      {
        month: '2026-01',
        customer_id: 'a',
        subscription_id: 'sub_a',
        plan: 'p1000',
        price_id: 'price_p1000_1000_month',
        price_amount: 1000,
        screens: 3,
        mrr_cents: 3000,
        status: 'active',
      },
      {
        month: '2026-01',
        customer_id: 'b',
        subscription_id: 'sub_b',
        plan: 'p0',
        price_id: 'price_p0_0_month',
        price_amount: 0,
        screens: 2,
        mrr_cents: 0,
        status: 'active',
      },
      {
        month: '2026-01',
        customer_id: 'c',
        subscription_id: 'sub_c',
        plan: 'p4500',
        price_id: 'price_p4500_4500_month',
        price_amount: 4500,
        screens: 30,
        mrr_cents: 135_000,
        status: 'past_due',
      },
    ])
  })

  it("yearly, discounted and converted rows keep mrr_cents = price_amount × screens, and sum to the ledger's MRR", () => {
    const defs = MrrDefinitionsSchema.parse({fxRates: {eur: 1.1}})
    const items = history(
      {
        '2026-01': [
          {customer: 'y', id: 'sub_y', items: [{unitAmount: 10_000, quantity: 3, interval: 'year'}]},
          {customer: 'e', id: 'sub_e', currency: 'eur', items: [{unitAmount: 999, quantity: 7}]},
          {customer: 't', id: 'sub_t', status: 'trialing', items: [{unitAmount: 1000}]},
          {customer: 's', id: 'sub_s', cancelAtPeriodEnd: true, items: [{unitAmount: 1000}]},
        ],
      },
      defs,
    )
    const rows = SnapshotsFileSchema.parse(snapshotRowsFromLedger(items, defs))
    expect(rows.map((r) => [r.subscription_id, r.price_amount, r.screens, r.mrr_cents])).toEqual([
      ['sub_y', 833, 3, 2499],
      ['sub_e', 1099, 7, 7693], // 9.99 EUR × 1.1 = 10.989 USD → 10.99 per unit
    ])
    const [month] = monthMetrics(buildLedger(defs, ['2026-01'], items))
    expect(rows.reduce((sum, r) => sum + r.mrr_cents, 0)).toBe(month!.reporting!.mrr)
  })

  it('refuses to write another currency into the file without a rate, naming it', () => {
    const items = history({'2026-01': [monthly('e', 'sub_e', 1000, 1, {currency: 'eur'})]})
    expect(() => snapshotRowsFromLedger(items, definitions)).toThrow(/sub_e is in eur: give an fxRates entry for eur/)
  })
})

describe("a month's reading", () => {
  it('keeps an ended subscription only in the month it ended', () => {
    const previousAt = Date.parse('2026-01-28T00:00:00Z') / 1000
    const endedNow = {
      ...subscription(monthly('a', 'sub_now', 1000, 1, {status: 'canceled'})),
      ended_at: previousAt + 86_400,
    }
    const endedBefore = {
      ...subscription(monthly('b', 'sub_before', 1000, 1, {status: 'canceled'})),
      ended_at: previousAt - 86_400,
    }
    const live = subscription(monthly('c', 'sub_live', 1000))
    const rows = monthReading([endedNow, endedBefore, live], {
      month: '2026-02',
      at: previousAt + 31 * 86_400,
      previousAt,
      definitions,
    })
    expect(rows.map((row) => [row.subscription_id, row.status, row.excluded, row.mrr])).toEqual([
      ['sub_now', 'canceled', 'canceled', 0],
      ['sub_live', 'active', null, 1000],
    ])
  })
})

describe("comparing the ledger's month with a fresh reading (for run verify)", () => {
  it('names each field that differs, and items missing or unexpected', () => {
    const at = Date.parse('2026-03-28T00:00:00Z') / 1000
    const read = (specs: SubscriptionSpec[]) =>
      specs.flatMap((spec) => ledgerItemRows(subscription(spec), {month: '2026-03', at, definitions}))
    const ledger = read([
      monthly('a', 'sub_a', 1000, 3),
      monthly('b', 'sub_b', 1000),
      {customer: 'c', id: 'sub_c', status: 'trialing', items: [{unitAmount: 1000}]},
    ])
    expect(
      compareLedgerMonth(
        ledger,
        read([
          monthly('a', 'sub_a', 1000, 3),
          monthly('b', 'sub_b', 1000),
          {customer: 'c', id: 'sub_c', status: 'trialing', items: [{unitAmount: 1000}]},
        ]),
      ),
    ).toEqual([])
    const fresh = read([
      monthly('a', 'sub_a', 1000, 4),
      {customer: 'c', id: 'sub_c', items: [{unitAmount: 1000, interval: 'year'}]},
      monthly('d', 'sub_d', 500),
    ])
    expect(compareLedgerMonth(ledger, fresh).map((m) => [m.subscriptionId, m.field, m.expected, m.actual])).toEqual([
      ['sub_a', 'quantity', '3', '4'],
      ['sub_a', 'mrr', '$30.00', '$40.00'],
      ['sub_b', 'missing', 'present', 'absent'],
      ['sub_c', 'status', 'trialing', 'active'],
      ['sub_c', 'interval', '1 month', '1 year'],
      ['sub_c', 'trial', 'trialing', 'none'],
      ['sub_c', 'mrr', '$0.00', '$0.83'],
      ['sub_d', 'unexpected', 'absent', 'present'],
    ])
  })
})
