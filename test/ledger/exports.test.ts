import {readFile, readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import SnapshotsExport from '../../src/commands/snapshots/export.js'
import {SnapshotsFileSchema} from '../../src/files/formats.js'
import {writeLedger} from '../../src/ledger/store.js'
import {snapshotRowsFromLedger} from '../../src/ledger/snapshot-rows.js'
import {runCommand} from '../helpers/in-process.js'
import {sampleLedger} from '../helpers/sample-ledger.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

const parseCsv = (text: string) => {
  const [header, ...lines] = text
    .trim()
    .split('\n')
    .map((line) => line.split(','))
  return lines.map((cells) => Object.fromEntries(header!.map((name, i) => [name, cells[i]!])))
}

describe('snapshots export (command)', () => {
  it('writes the three Stripe-shaped CSVs from the ledger, with amounts in major units per currency', async () => {
    const dir = await tempDir()
    await writeLedger(dir, sampleLedger())
    const result = await runCommand(SnapshotsExport, ['--out-dir', dir, '--json'])
    expect(result.exitCode).toBe(0)
    const json = JSON.parse(result.stdout) as {
      files: {mrrPerSubscriber: string; customerChanges: string; summary: string}
    }
    expect(json).toMatchObject({source: 'ledger', months: 4})

    const perSubscriber = parseCsv(await readFile(json.files.mrrPerSubscriber, 'utf8'))
    expect(perSubscriber.filter((r) => r.month === '2026-01')).toEqual([
      {month: '2026-01', customer_id: 'cus_alpha', currency: 'usd', mrr: '40.00'},
      {month: '2026-01', customer_id: 'cus_bravo', currency: 'usd', mrr: '150.00'},
      {month: '2026-01', customer_id: 'cus_charlie', currency: 'usd', mrr: '300.00'}, // 2 × 1,800 USD a year
      {month: '2026-01', customer_id: 'cus_delta', currency: 'eur', mrr: '45.00'},
      {month: '2026-01', customer_id: 'cus_fox', currency: 'usd', mrr: '120.00'}, // 50 % forever coupon; cus_echo is trialing
    ])

    const changes = parseCsv(await readFile(json.files.customerChanges, 'utf8')).filter((r) => r.month !== '2026-01')
    expect(changes.map((r) => [r.month, r.customer_id, r.type, r.mrr_change])).toEqual([
      ['2026-02', 'cus_alpha', 'expansion', '50.00'],
      ['2026-02', 'cus_bravo', 'contraction', '-45.00'],
      ['2026-02', 'cus_echo', 'new', '30.00'],
      ['2026-02', 'cus_fox', 'churn', '-120.00'],
      ['2026-03', 'cus_bravo', 'churn', '-105.00'], // cancel_at_period_end churns at the request by default
      ['2026-03', 'cus_delta', 'expansion', '36.00'],
      ['2026-03', 'cus_fox', 'reactivation', '20.00'],
      ['2026-04', 'cus_alpha', 'churn', '-90.00'], // unpaid
      ['2026-04', 'cus_echo', 'expansion', '60.00'],
    ])

    const summary = parseCsv(await readFile(json.files.summary, 'utf8'))
    const usd = summary.filter((r) => r.currency === 'usd')
    expect(usd.map((r) => [r.month, r.starting_mrr, r.ending_mrr])).toEqual([
      ['2026-01', '610.00', '610.00'], // the opening balance
      ['2026-02', '610.00', '525.00'],
      ['2026-03', '525.00', '440.00'],
      ['2026-04', '440.00', '410.00'],
    ])
    expect(usd[1]).toMatchObject({
      new_mrr: '30.00',
      expansion_mrr: '50.00',
      contraction_mrr: '45.00',
      churned_mrr: '120.00',
      reactivation_mrr: '0.00',
      starting_active_subscribers: '4',
      new_subscribers: '1',
      churned_subscribers: '1',
      ending_active_subscribers: '4',
      arpu: '131.25',
      subscriber_churn_rate: '0.2000',
    })
    // cus_echo trialed in January and pays from February
    expect(usd.map((r) => [r.new_trials, r.trial_conversions])).toEqual([
      ['1', '0'],
      ['0', '1'],
      ['0', '0'],
      ['0', '0'],
    ])
  })

  it('falls back to sub_snapshots.json when no ledger exists', async () => {
    const dir = await tempDir()
    const rows = SnapshotsFileSchema.parse(snapshotRowsFromLedger(sampleLedger().items, sampleLedger().definitions))
    await writeFile(join(dir, 'sub_snapshots.json'), JSON.stringify(rows))
    const result = await runCommand(SnapshotsExport, ['--out-dir', dir, '--json'])
    expect(result.exitCode).toBe(0)
    expect((JSON.parse(result.stdout) as {source: string}).source).toBe('snapshots')
    const summary = parseCsv(await readFile(join(dir, 'subscription_metrics_summary.csv'), 'utf8'))
    // One currency there (converted at the ledger's rate): 610 USD + 45 EUR × 1.1
    expect(summary[0]).toMatchObject({month: '2026-01', currency: 'usd', ending_mrr: '659.50'})
  })

  it('without any file: one-line cause, exit 1, nothing written', async () => {
    const dir = await tempDir()
    const result = await runCommand(SnapshotsExport, ['--out-dir', dir])
    expect(result.exitCode).toBe(1)
    expect(`${result.stderr}${result.error?.message ?? ''}`).toMatch(
      /sub_snapshots\.json not found: run `stripe-seed run generate` first/,
    )
    expect(await readdir(dir)).toEqual([])
  })
})
