import {describe, expect, it} from 'vitest'

import {planCatalog} from '../../src/ledger/plans.js'
import {reportModel, unpackCustomers} from '../../src/snapshots/report/model.js'
import {SAMPLE_MONTHS, sampleLedger} from '../helpers/sample-ledger.js'

describe('report model', () => {
  it("packs the customer rows without losing any: every month unpacks to the ledger's customers and MRR", () => {
    const ledger = sampleLedger()
    const model = reportModel(ledger, 'ledger', 'mrr_ledger.json')
    for (const month of SAMPLE_MONTHS) {
      const rows = ledger.customers.filter((row) => row.month === month)
      expect(
        unpackCustomers(model.customers, month).map((r) => [r.customer, r.currency, r.previousMrr, r.mrr, r.movement]),
      ).toEqual(rows.map((r) => [r.customer_id, r.currency, r.previous_mrr, r.mrr, r.movement]))
    }
    expect(unpackCustomers(model.customers, '2026-01').find((r) => r.customer === 'cus_fox')).toMatchObject({
      plans: 'Engage',
      discounts: 'half_forever (50% forever)',
      status: 'active',
    })
    expect(unpackCustomers(model.customers, '2026-03').find((r) => r.customer === 'cus_bravo')).toMatchObject({
      status: 'active (scheduled cancellation)',
      mrr: 0,
      movement: 'churn',
    })
  })

  it('orders, names and colours plans by the catalog, the same in every currency', () => {
    const ledger = sampleLedger()
    const catalog = planCatalog(ledger, {
      plans: [
        {key: 'free', name: 'Free'},
        {key: 'standard', name: 'Standard'},
        {key: 'pro_plus', name: 'Pro Plus'},
        {key: 'engage', name: 'Engage'},
      ].map((p, i) => ({
        ...p,
        price_id: `price_${i}`,
        product_id: `prod_${i}`,
        unit_amount: i,
        currency: 'usd',
        lookup_key: p.key,
      })),
    })
    const model = reportModel(ledger, 'ledger', 'x', catalog)
    // pro_yearly is not in the catalog: after it, by price, named from its key.
    expect(model.plans.map((p) => [p.key, p.name])).toEqual([
      ['free', 'Free'],
      ['standard', 'Standard'],
      ['pro_plus', 'Pro Plus'],
      ['engage', 'Engage'],
      ['pro_yearly', 'Pro Yearly'],
    ])
    expect(new Set(model.plans.map((p) => p.color)).size).toBe(model.plans.length)
    const order = model.plans.map((p) => p.key)
    for (const series of Object.values(model.byCurrency))
      expect(series.plans).toEqual(order.filter((plan) => series.plans.includes(plan)))
    // Without the catalog: by monthly list price, cheapest first.
    expect(reportModel(ledger, 'ledger', 'x').plans.map((p) => p.name)).toEqual([
      'Free',
      'Standard',
      'Pro Plus',
      'Engage',
      'Pro Yearly',
    ])
    expect(model.openingMonth).toBe(SAMPLE_MONTHS[0])
  })

  it('shows a total across currencies only when the ledger has the rates', () => {
    expect(reportModel(sampleLedger(), 'ledger', 'x').reporting).toEqual({
      currency: 'usd',
      mrr: [61_000 + 4950, 52_500 + 4950, 44_000 + 8910, 41_000 + 8910],
    })
    expect(reportModel(sampleLedger({}), 'ledger', 'x').reporting).toBeNull()
  })
})
