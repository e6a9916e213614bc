import {describe, expect, it} from 'vitest'

import type {SnapshotRow} from '../../src/files/formats.js'
import {mrrMovements, summarizeMonths} from '../../src/snapshots/movements.js'

const AMOUNT: Record<string, number> = {free: 0, standard: 1000, pro_plus: 1500, engage: 3000}

function row(
  month: string,
  customer: string,
  plan: string,
  screens: number,
  status: 'active' | 'past_due' = 'active',
): SnapshotRow {
  const price = AMOUNT[plan]!
  return {
    month,
    customer_id: customer,
    subscription_id: `sub_${customer}`,
    plan,
    price_id: `price_${plan}`,
    price_amount: price,
    screens,
    mrr_cents: price * screens,
    status,
  }
}

describe('MRR movements', () => {
  it('classifies new, expansion, contraction, churn and reactivation per customer', () => {
    const rows = [
      // 2026-01: where history starts
      row('2026-01', 'a', 'standard', 2), // 2000
      row('2026-01', 'b', 'pro_plus', 10), // 15000
      row('2026-01', 'c', 'engage', 5), // 15000
      row('2026-01', 'd', 'free', 3), // 0
      row('2026-01', 'e', 'standard', 4), // 4000
      // 2026-02
      row('2026-02', 'a', 'pro_plus', 5), // expansion 7500-2000 = 5500
      row('2026-02', 'b', 'pro_plus', 6), // contraction 15000-9000 = 6000
      // c gone: churn 15000
      row('2026-02', 'd', 'standard', 3), // free -> paid, first time: new 3000
      row('2026-02', 'e', 'free', 4), // paid -> free: churn 4000
      row('2026-02', 'f', 'standard', 1), // new customer: new 1000
      // 2026-03
      row('2026-03', 'a', 'pro_plus', 5),
      row('2026-03', 'b', 'pro_plus', 6),
      row('2026-03', 'c', 'engage', 5), // came back: reactivation 15000
      row('2026-03', 'd', 'standard', 3),
      row('2026-03', 'e', 'free', 4),
      row('2026-03', 'f', 'standard', 1),
    ]
    const [jan, feb, mar] = summarizeMonths(rows)
    expect(jan?.movements).toEqual({new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 0, net: 0})
    expect(feb?.movements).toEqual({
      new: 4000,
      expansion: 5500,
      contraction: 6000,
      churn: 19_000,
      reactivation: 0,
      net: -15_500,
    })
    expect(feb!.mrrCents - jan!.mrrCents).toBe(feb!.movements.net)
    expect(mar?.movements).toEqual({new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 15_000, net: 15_000})
    expect(jan).toMatchObject({
      customers: 5,
      active: 5,
      pastDue: 0,
      mrrCents: 36_000,
      mrrByPlan: {standard: 6000, pro_plus: 15_000, engage: 15_000, free: 0},
    })
  })

  it('past_due still counts as MRR: a customer who upgrades and goes past due in the same month is expansion, not churn', () => {
    const previous = [row('2026-01', 'a', 'standard', 4)]
    const current = [row('2026-02', 'a', 'pro_plus', 5, 'past_due')]
    expect(mrrMovements(previous, current, new Set(['a']))).toEqual({
      new: 0,
      expansion: 3500,
      contraction: 0,
      churn: 0,
      reactivation: 0,
      net: 3500,
    })
    const [, feb] = summarizeMonths([...previous, ...current])
    expect(feb).toMatchObject({active: 0, pastDue: 1, mrrCents: 7500})
  })

  it('sorts months and keeps net movement equal to the change in MRR over a longer series', () => {
    const rows: SnapshotRow[] = []
    const plans = ['free', 'standard', 'pro_plus', 'engage']
    for (let m = 1; m <= 9; m++) {
      for (let c = 0; c < 12; c++) {
        if ((c * 7 + m) % 5 === 0) continue // gaps: churn and reactivation
        rows.push(row(`2026-0${m}`, `c${c}`, plans[(c + m) % 4]!, 1 + ((c * m) % 6)))
      }
    }
    const months = summarizeMonths(rows.reverse())
    expect(months.map((m) => m.month)).toEqual([
      '2026-01',
      '2026-02',
      '2026-03',
      '2026-04',
      '2026-05',
      '2026-06',
      '2026-07',
      '2026-08',
      '2026-09',
    ])
    for (let i = 1; i < months.length; i++)
      expect(months[i]!.movements.net).toBe(months[i]!.mrrCents - months[i - 1]!.mrrCents)
    expect(months.some((m) => m.movements.reactivation > 0)).toBe(true)
  })
})
