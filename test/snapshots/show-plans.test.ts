import {writeFile} from 'node:fs/promises'
import {describe, expect, it} from 'vitest'

import SnapshotsShow from '../../src/commands/snapshots/show.js'
import {type PricesFile, outFile} from '../../src/files/formats.js'
import type {LedgerFile} from '../../src/files/ledger.js'
import {writeLedger} from '../../src/ledger/store.js'
import type {LedgerView} from '../../src/snapshots/ledger-view.js'
import {runCommand} from '../helpers/in-process.js'
import {SAMPLE_MONTHS, sampleLedger} from '../helpers/sample-ledger.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

/** The catalog as `prices seed` writes it: its order and names are what the view must use. */
const CATALOG = [
  {key: 'free', name: 'Free', unit_amount: 0},
  {key: 'standard', name: 'Standard', unit_amount: 1000},
  {key: 'pro_plus', name: 'Pro Plus', unit_amount: 1500},
  {key: 'engage', name: 'Engage', unit_amount: 3000},
  {key: 'pro_yearly', name: 'Pro (yearly)', unit_amount: 180_000},
]

async function outDirWith(ledger: LedgerFile, withCatalog = true): Promise<string> {
  const dir = await tempDir()
  await writeLedger(dir, ledger)
  if (withCatalog) {
    const prices: PricesFile = {
      price_ids: Object.fromEntries(CATALOG.map((p) => [p.key, `price_${p.key}`])),
      price_to_plan: Object.fromEntries(CATALOG.map((p) => [`price_${p.key}`, p.name])),
      plans: CATALOG.map((p) => ({
        ...p,
        price_id: `price_${p.key}`,
        product_id: `prod_${p.key}`,
        currency: 'usd',
        lookup_key: p.key,
      })),
      seeded_at: '2026-01-01T00:00:00Z',
    }
    await writeFile(outFile(dir, 'prices'), JSON.stringify(prices))
  }
  return dir
}

/** Per plan and currency, straight from the ledger's items: live subscriptions and the MRR they carry. */
function truthByPlan(ledger: LedgerFile, month: string) {
  const live = ledger.items.filter(
    (item) => item.month === month && ['active', 'past_due', 'trialing'].includes(item.status),
  )
  const out = new Map<string, {subscriptions: Set<string>; mrr: number}>()
  for (const item of live) {
    const key = `${item.plan}/${item.currency}`
    const entry = out.get(key) ?? {subscriptions: new Set<string>(), mrr: 0}
    entry.subscriptions.add(item.subscription_id)
    entry.mrr += item.mrr
    out.set(key, entry)
  }
  return new Map([...out].map(([key, entry]) => [key, {subscriptions: entry.subscriptions.size, mrr: entry.mrr}]))
}

describe('snapshots show: MRR by plan, from the ledger', () => {
  const ledger = sampleLedger({eur: 1.1})

  it('--json: each month holds every plan and currency with its subscriptions and MRR, as the ledger says', async () => {
    const result = await runCommand(SnapshotsShow, ['--out-dir', await outDirWith(ledger), '--json'])
    expect(result.exitCode, result.error?.message).toBe(0)
    const view = JSON.parse(result.stdout) as LedgerView
    // The catalog's order and names, only the plans the months hold.
    expect(view.plans).toEqual([
      {key: 'free', name: 'Free'},
      {key: 'standard', name: 'Standard'},
      {key: 'pro_plus', name: 'Pro Plus'},
      {key: 'engage', name: 'Engage'},
      {key: 'pro_yearly', name: 'Pro (yearly)'},
    ])
    expect(view.months.map((m) => m.month)).toEqual(SAMPLE_MONTHS)
    for (const month of view.months) {
      const truth = truthByPlan(ledger, month.month)
      expect(
        new Map(month.plans.map((p) => [`${p.plan}/${p.currency}`, {subscriptions: p.subscriptions, mrr: p.mrr}])),
        month.month,
      ).toEqual(truth)
      // The plans add up to the month's MRR in each currency.
      for (const line of month.currencies)
        expect(
          month.plans.filter((p) => p.currency === line.currency).reduce((sum, p) => sum + p.mrr, 0),
          `${month.month} ${line.currency}`,
        ).toBe(line.mrr)
    }
    // January: cus_echo's trial is a live standard subscription that carries no MRR yet.
    const january = view.months[0]!.plans
    expect(january.find((p) => p.plan === 'standard' && p.currency === 'usd')).toEqual({
      plan: 'standard',
      name: 'Standard',
      currency: 'usd',
      subscriptions: 2,
      mrr: 4000,
    })
    expect(january.find((p) => p.plan === 'standard' && p.currency === 'eur')).toMatchObject({
      subscriptions: 1,
      mrr: 4500,
    })
  })

  it('table: a column per plan by its catalog name, each cell the subscriptions and their MRR', async () => {
    const result = await runCommand(SnapshotsShow, ['--out-dir', await outDirWith(ledger)])
    expect(result.exitCode, result.error?.message).toBe(0)
    expect(result.stdout).toContain('MRR by plan (each cell: live subscriptions · their MRR)')
    expect(result.stdout).toMatch(/Month\s+Currency\s+Free\s+Standard\s+Pro Plus\s+Engage\s+Pro \(yearly\)\n/)
    // April: cus_golf on the free plan, cus_fox2 on standard, cus_echo moved to engage, cus_charlie yearly;
    // cus_alpha's pro_plus subscription is unpaid, so not live: the plan has nothing that month.
    expect(result.stdout).toMatch(/2026-04\s+USD\s+1 · \$0\.00\s+1 · \$20\.00\s+·\s+1 · \$90\.00\s+1 · \$300\.00\n/)
    expect(result.stdout).toMatch(/2026-04\s+EUR\s+·\s+1 · €81\.00\s+·\s+·\s+·\n/)
  })

  it('without stripe_prices.json: names made from the keys, cheapest plan first', async () => {
    const result = await runCommand(SnapshotsShow, ['--out-dir', await outDirWith(ledger, false), '--json'])
    expect(result.exitCode, result.error?.message).toBe(0)
    const view = JSON.parse(result.stdout) as LedgerView
    expect(view.plans.map((p) => p.name)).toEqual(['Free', 'Standard', 'Pro Plus', 'Engage', 'Pro Yearly'])
  })

  it('--month: the table names each plan as the catalog does; its CSV keeps the keys', async () => {
    const dir = await outDirWith(ledger)
    const table = await runCommand(SnapshotsShow, ['--out-dir', dir, '--month', '2026-01'])
    expect(table.exitCode, table.error?.message).toBe(0)
    expect(table.stdout).toMatch(/cus_charlie\s+sub_charlie\s+Pro \(yearly\)\s+year\s/)
    expect(table.stdout).toMatch(/cus_bravo\s+sub_bravo\s+Pro Plus\s+month\s/)
    const csv = await runCommand(SnapshotsShow, ['--out-dir', dir, '--month', '2026-01', '--format', 'csv'])
    expect(csv.stdout).toMatch(/^2026-01,cus_bravo,sub_bravo,[^,]+,pro_plus,/m)
  })
})
