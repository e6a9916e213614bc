import {describe, expect, it} from 'vitest'

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
      plans: 'engage',
      discounts: 'half_forever (50% forever)',
      status: 'active',
    })
    expect(unpackCustomers(model.customers, '2026-03').find((r) => r.customer === 'cus_bravo')).toMatchObject({
      status: 'active (scheduled cancellation)',
      mrr: 0,
      movement: 'churn',
    })
  })

  it('shows a total across currencies only when the ledger has the rates', () => {
    expect(reportModel(sampleLedger(), 'ledger', 'x').reporting).toEqual({
      currency: 'usd',
      mrr: [61_000 + 4950, 52_500 + 4950, 44_000 + 8910, 41_000 + 8910],
    })
    expect(reportModel(sampleLedger({}), 'ledger', 'x').reporting).toBeNull()
  })
})
