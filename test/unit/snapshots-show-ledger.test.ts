import {writeFile} from 'node:fs/promises'
import {describe, expect, it} from 'vitest'

import SnapshotsShow from '../../src/commands/snapshots/show.js'
import {outFile} from '../../src/files/formats.js'
import type {LedgerFile} from '../../src/files/ledger.js'
import {writeLedger} from '../../src/ledger/store.js'
import type {LedgerView} from '../../src/snapshots/ledger-view.js'
import {runCommand} from '../helpers/in-process.js'
import {SAMPLE_MONTHS, sampleLedger} from '../helpers/sample-ledger.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

async function outDirWith(ledger: LedgerFile): Promise<string> {
  const dir = await tempDir()
  await writeLedger(dir, ledger)
  // A snapshots file that disagrees with the ledger: show must read the ledger when there is one.
  await writeFile(outFile(dir, 'snapshots'), '[]')
  return dir
}

/** What the ledger itself says, summed here from its rows. */
function fromLedger(ledger: LedgerFile, month: string) {
  const items = ledger.items.filter((item) => item.month === month)
  const mrr = (currency: string) =>
    items.filter((item) => item.currency === currency).reduce((sum, item) => sum + item.mrr, 0)
  const live = items.filter((item) => ['active', 'past_due', 'trialing'].includes(item.status))
  const subscriptions = (keep: (item: (typeof items)[number]) => boolean) =>
    new Set(live.filter(keep).map((item) => item.subscription_id)).size
  // The first reading is the opening balance: nothing moved into it.
  const movement = (currency: string, kind: string) =>
    month === ledger.months[0]
      ? 0
      : ledger.customers
          .filter((row) => row.month === month && row.currency === currency && row.movement === kind)
          .reduce((sum, row) => sum + Math.abs(row.change), 0)
  return {mrr, total: items.reduce((sum, item) => sum + (item.mrr_reporting ?? 0), 0), subscriptions, movement}
}

describe("snapshots show with mrr_ledger.json (a ledger built from SDK objects by the ledger's own code)", () => {
  const ledger = sampleLedger({eur: 1.1})

  it('--json: MRR per currency and the reporting total, subscriptions by interval, trials, discounts and movements, as the ledger says', async () => {
    const result = await runCommand(SnapshotsShow, ['--out-dir', await outDirWith(ledger), '--json'])
    expect(result.exitCode, result.error?.message).toBe(0)
    const view = JSON.parse(result.stdout) as LedgerView & {source: string}
    expect(view.source).toBe('mrr_ledger.json')
    expect(view.months.map((m) => m.month)).toEqual(SAMPLE_MONTHS)
    for (const month of view.months) {
      const truth = fromLedger(ledger, month.month)
      for (const line of month.currencies) {
        expect(line.mrr).toBe(truth.mrr(line.currency))
        expect(line.movements.churn).toBe(truth.movement(line.currency, 'churn'))
        expect(line.movements.new).toBe(truth.movement(line.currency, 'new'))
        expect(line.movements.net).toBe(
          line.movements.new +
            line.movements.expansion +
            line.movements.reactivation -
            line.movements.contraction -
            line.movements.churn,
        )
      }
      expect(month.reporting).toEqual({currency: 'usd', mrr: truth.total})
      const byInterval = (interval: string) =>
        month.currencies.reduce((sum, line) => sum + (line.subscriptions.byInterval[interval] ?? 0), 0)
      expect(byInterval('year')).toBe(truth.subscriptions((item) => item.interval === 'year'))
      expect(byInterval('month')).toBe(truth.subscriptions((item) => item.interval === 'month'))
      expect(month.trials.trialing).toBe(truth.subscriptions((item) => item.status === 'trialing'))
    }
    const january = view.months[0]!
    // The sample: cus_charlie is yearly, cus_echo in a trial, cus_fox under 50 % forever, cus_delta pays in EUR.
    expect(january.currencies.map((line) => line.currency)).toEqual(['eur', 'usd'])
    expect(january.trials.trialing).toBe(1)
    expect(january.discounts).toEqual([
      {coupon: 'half_forever', terms: '50% off, forever', subscriptions: 1, counted: true},
    ])
    // February: the trial converted, and the discounted subscription was canceled (no discount in force any more).
    expect(view.months[1]!.trials).toMatchObject({trialing: 0, converted: 1})
    expect(view.months[1]!.discounts).toEqual([])
    expect(view.fxRates).toEqual({eur: 1.1})
  })

  it('table: the same numbers for a person, with the rates the total used', async () => {
    const result = await runCommand(SnapshotsShow, ['--out-dir', await outDirWith(ledger)])
    expect(result.exitCode, result.error?.message).toBe(0)
    const truth = fromLedger(ledger, '2026-03')
    const major = (minor: number) =>
      (minor / 100).toLocaleString('en-US', {minimumFractionDigits: 2, maximumFractionDigits: 2})
    expect(result.stdout).toMatch(
      new RegExp(
        `2026-03\\s+€${major(truth.mrr('eur'))}\\s+\\$${major(truth.mrr('usd'))}\\s+\\$${major(truth.total)}\\n`,
      ),
    )
    // The sample's movements, in the one money format: signed, with the currency's symbol.
    expect(result.stdout).toMatch(/2026-02\s+USD\s+\+\$30\.00\s+\+\$50\.00\s+·\s+−\$45\.00\s+−\$120\.00\s+−\$85\.00/)
    expect(result.stdout).toContain('Total: at fixed rates (1 EUR = 1.1 USD), not market data')
    expect(result.stdout).toMatch(/Month\s+Active\s+Past due\s+Trialing\s+Monthly\s+Yearly\s+Discounted/)
    expect(result.stdout).toMatch(/2026-01\s+half_forever\s+50% off, forever\s+1\s+yes/)
    expect(result.stdout).toContain('MRR movements per currency')
    expect(result.stdout).not.toContain('Subscriptions and MRR by month') // today's view of sub_snapshots.json
  })

  it('--format csv: one row per month and currency, totals only where rates exist', async () => {
    const withoutRate = sampleLedger({})
    const result = await runCommand(SnapshotsShow, ['--out-dir', await outDirWith(withoutRate), '--format', 'csv'])
    expect(result.exitCode, result.error?.message).toBe(0)
    const [header, ...rows] = result.stdout.trim().split('\n')
    expect(header).toBe(
      'month,currency,mrr,active,past_due,trialing,interval_month,interval_year,discounted,new,expansion,reactivation,contraction,churn,net,reporting_currency,total_mrr_reporting',
    )
    expect(rows).toHaveLength(SAMPLE_MONTHS.length * 2)
    const march = rows.find((row) => row.startsWith('2026-03,usd,'))!.split(',')
    expect(Number(march[2])).toBe(fromLedger(withoutRate, '2026-03').mrr('usd'))
    // No EUR rate: no honest total.
    expect(march.at(-1)).toBe('')
  })

  it("--month lists that month's items as the ledger holds them; a month it has not read is a usage error", async () => {
    const dir = await outDirWith(ledger)
    const result = await runCommand(SnapshotsShow, ['--out-dir', dir, '--month', '2026-01', '--format', 'csv'])
    expect(result.exitCode, result.error?.message).toBe(0)
    const lines = result.stdout.trim().split('\n')
    expect(lines).toHaveLength(ledger.items.filter((item) => item.month === '2026-01').length + 1)
    expect(lines.find((line) => line.includes('sub_fox'))).toContain(',half_forever,')
    const missing = await runCommand(SnapshotsShow, ['--out-dir', dir, '--month', '1999-01'])
    expect(missing.exitCode).toBe(2)
    expect(missing.error?.message).toMatch(/^No reading for 1999-01; .*mrr_ledger\.json has 2026-01 to 2026-04$/)
  })
})
