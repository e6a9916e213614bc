import {describe, expect, it} from 'vitest'

import {mrrChart} from '../../src/render/chart.js'
import {formatChange, formatMoney} from '../../src/render/money.js'

describe('one money format for every human view (src/render/money.ts)', () => {
  it("uses the currency's symbol, thousands separators and its minor unit's digits", () => {
    expect(formatMoney(4_167_000, 'usd')).toBe('$41,670.00')
    expect(formatMoney(1000, 'eur')).toBe('€10.00')
    expect(formatMoney(1000, 'USD')).toBe('$10.00')
    expect(formatMoney(500_000, 'jpy')).toBe('¥500,000') // zero-decimal: the amount is already yen
    expect(formatMoney(12_345, 'kwd')).toBe('KWD\u00a012.345') // three decimals
    expect(formatMoney(0, 'gbp')).toBe('£0.00')
    expect(formatMoney(-24_000, 'usd')).toBe('−$240.00')
  })

  it('a change is signed, and no change is a dot so zero cells recede', () => {
    expect(formatChange(24_000, 'usd')).toBe('+$240.00')
    expect(formatChange(-24_000, 'usd')).toBe('−$240.00')
    expect(formatChange(0, 'usd')).toBe('·')
  })

  it('the MRR chart aligns the amounts and scales bars to the largest month', () => {
    expect(
      mrrChart(
        [
          {month: '2026-01', mrr: 1_000_000},
          {month: '2026-02', mrr: 2_000_000},
          {month: '2026-03', mrr: 0},
        ],
        'usd',
      ),
    ).toEqual([
      `  2026-01  $10,000.00  ${'█'.repeat(20)}`,
      `  2026-02  $20,000.00  ${'█'.repeat(40)}`,
      '  2026-03       $0.00',
    ])
  })
})
