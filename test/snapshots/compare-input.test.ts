import {describe, expect, it} from 'vitest'

import {parseColumnsFlag, parseTheirNumbers} from '../../src/snapshots/compare/input.js'

const parse = (text: string, extra: Partial<Parameters<typeof parseTheirNumbers>[1]> = {}) =>
  parseTheirNumbers(text, {file: 'mine.csv', format: 'csv', unit: 'units', defaultCurrency: 'usd', ...extra})

describe("reading the user's numbers", () => {
  it('tells the grain from the columns and converts major units by the currency', () => {
    const perCustomer = parse('month,customer_id,currency,mrr\n2026-01,cus_a,EUR,12.5\n2026-01,cus_b,jpy,500')
    expect(perCustomer.grain).toBe('customer')
    expect(perCustomer.rows.map((r) => [r.key, r.currency, r.mrr])).toEqual([
      ['cus_a', 'eur', 1250],
      ['cus_b', 'jpy', 500],
    ])
    expect(parse('month,subscription_id,mrr\n2026-01,sub_1,10').grain).toBe('subscription')
    expect(parse('month,mrr\n2026-01,10.005').rows[0]).toMatchObject({key: '', mrr: 1001, currency: null})
    const mapped = parse('period,amount\n2026-01,1250', {
      unit: 'cents',
      columns: parseColumnsFlag('month=period,mrr=amount'),
    })
    expect(mapped.rows[0]).toMatchObject({month: '2026-01', mrr: 1250})
  })

  it('names the row and the problem in one line', () => {
    expect(() => parse('')).toThrow('mine.csv: the file is empty')
    expect(() => parse('month,customer_id,mrr\n2026-01,cus_a,10\n2026-13,cus_b,3')).toThrow(
      'mine.csv: row 3: "2026-13" is not a valid month',
    )
    expect(() => parse('month,customer_id,mrr\n2026-1,cus_a,10')).toThrow('row 2: month "2026-1" is not YYYY-MM')
    expect(() => parse('month,customer_id,mrr\n2026-01,cus_a,ten')).toThrow('row 2: mrr "ten" is not a number')
    expect(() => parse('month,customer_id,mrr\n2026-01,cus_a,10.5', {unit: 'cents'})).toThrow(
      'row 2: mrr 10.5 is not a whole number of cents',
    )
    expect(() => parse('month,customer_id,mrr\n2026-01,cus_a')).toThrow(/^mine\.csv: Invalid Record Length/)
    expect(() => parse('period,mrr\n2026-01,1')).toThrow('no "month" column (map yours with --columns month=NAME)')
    expect(() => parse('{', {format: 'json', file: 'mine.json'})).toThrow(/^mine\.json: cut short \(/)
    expect(() => parse('hello', {format: 'json', file: 'mine.json'})).toThrow(/^mine\.json: not valid JSON \(/)
    expect(() => parse('[1]', {format: 'json', file: 'mine.json'})).toThrow('mine.json: row 1: expected an object')
    expect(() => parseColumnsFlag('month')).toThrow('--columns takes field=column pairs')
    expect(() => parseColumnsFlag('amount=mrr')).toThrow('"amount" is not a field')
    try {
      parse('month,customer_id,mrr\n2026-01,,10')
    } catch (error) {
      expect((error as {exitCode: number}).exitCode).toBe(2)
    }
  })
})
