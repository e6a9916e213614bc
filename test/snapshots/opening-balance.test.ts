import {existsSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'
import {pathToFileURL} from 'node:url'
import {type Browser, chromium} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import SnapshotsReport from '../../src/commands/snapshots/report.js'
import SnapshotsShow from '../../src/commands/snapshots/show.js'
import {type SnapshotRow, outFile} from '../../src/files/formats.js'
import {writeLedger} from '../../src/ledger/store.js'
import type {LedgerView} from '../../src/snapshots/ledger-view.js'
import type {MonthSummary} from '../../src/snapshots/movements.js'
import {runCommand} from '../helpers/in-process.js'
import {SAMPLE_MONTHS, sampleLedger} from '../helpers/sample-ledger.js'
import {useTempDirs} from '../helpers/tmp.js'

/** What the callbacks given to evaluateAll read off an element: the test's TypeScript has no DOM types. */
interface PageElement {
  textContent: string | null
  getAttribute(name: string): string | null
  querySelectorAll(selector: string): PageElement[]
}

const tempDir = useTempDirs()

/** The text of the movements table: from its title to the end of the output. */
const movementsSection = (stdout: string) => stdout.slice(stdout.indexOf('MRR movements'))

describe('the first month is the opening balance, not "New" (snapshots show)', () => {
  it('ledger view: an opening-balance line with each currency, and no movements row for that month', async () => {
    const dir = await tempDir()
    await writeLedger(dir, sampleLedger())
    const table = await runCommand(SnapshotsShow, ['--out-dir', dir])
    expect(table.exitCode, table.error?.message).toBe(0)
    const movements = movementsSection(table.stdout)
    // January's MRR, per currency in the table's order: cus_delta's €45; $40 + $150 + $300 + $120 in USD.
    expect(movements).toContain('Opening balance 2026-01 (the history starts there): €45.00, $610.00')
    expect(movements).not.toMatch(/^2026-01 /m)
    expect(movements).toMatch(/^2026-02\s+USD\s+\+\$30\.00/m)

    const json = await runCommand(SnapshotsShow, ['--out-dir', dir, '--json'])
    const view = JSON.parse(json.stdout) as LedgerView
    expect(view.months.map((m) => m.opening)).toEqual(SAMPLE_MONTHS.map((_, i) => i === 0))
    for (const line of view.months[0]!.currencies)
      expect(line.movements).toEqual({new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 0, net: 0})
  })

  it('sub_snapshots.json view (no ledger): the same opening line, and no movements row for that month', async () => {
    const dir = await tempDir()
    const row = (month: string, customer: string, screens: number): SnapshotRow => ({
      month,
      customer_id: customer,
      subscription_id: `sub_${customer}`,
      plan: 'standard',
      price_id: 'price_standard',
      price_amount: 1000,
      screens,
      mrr_cents: 1000 * screens,
      status: 'active',
    })
    await writeFile(
      outFile(dir, 'snapshots'),
      JSON.stringify([row('2026-01', 'cus_a', 4), row('2026-01', 'cus_b', 1), row('2026-02', 'cus_a', 6)]),
    )
    const table = await runCommand(SnapshotsShow, ['--out-dir', dir])
    expect(table.exitCode, table.error?.message).toBe(0)
    const movements = movementsSection(table.stdout)
    expect(movements).toContain('Opening balance 2026-01 (the history starts there): $50.00')
    expect(movements).not.toMatch(/^2026-01 /m)
    expect(movements).toMatch(/^2026-02\s+·\s+\+\$20\.00\s+·\s+·\s+−\$10\.00\s+\+\$10\.00$/m)
    const json = await runCommand(SnapshotsShow, ['--out-dir', dir, '--json'])
    const {months} = JSON.parse(json.stdout) as {months: MonthSummary[]}
    expect(months.map((m) => [m.month, m.opening, m.movements.new])).toEqual([
      ['2026-01', true, 0],
      ['2026-02', false, 0],
    ])
  })
})

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const available = existsSync(CHROMIUM)

describe.skipIf(!available && process.env.CI !== 'true')(
  'the first month is the opening balance in the HTML report (headless Chromium)',
  () => {
    let browser: Browser
    beforeAll(async () => {
      browser = await chromium.launch({executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu']})
    })
    afterAll(async () => {
      await browser?.close()
    })

    it('the opening month: an "Opening balance" figure, dashes for movements, customers tagged Opening, none New', async () => {
      const dir = await tempDir()
      const ledger = sampleLedger()
      await writeLedger(dir, ledger)
      const result = await runCommand(SnapshotsReport, ['--out-dir', dir, '--json'])
      expect(result.exitCode, result.error?.message).toBe(0)
      const {file} = JSON.parse(result.stdout) as {file: string}
      const page = await browser.newPage({viewport: {width: 1280, height: 900}})
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(pathToFileURL(file).href)
      await page.waitForFunction('window.reportReady === true')
      await page.selectOption('#month', '2026-01')

      const kpis = await page
        .locator('[data-kpi]')
        .evaluateAll((cards: PageElement[]) => cards.map((c) => c.getAttribute('data-kpi')))
      expect(kpis).toContain('opening')
      expect(kpis).not.toContain('net')
      expect(await page.locator('[data-kpi="opening"] .value').textContent()).toBe('$610.00')

      const opening = await page
        .locator('#summary-table tr[data-month="2026-01"] td')
        .evaluateAll((tds: PageElement[]) => tds.map((td) => td.textContent))
      expect(opening.slice(0, 2)).toEqual(['2026-01 · opening', '$610.00'])
      expect(opening.slice(2, 8)).toEqual(['—', '—', '—', '—', '—', '—'])

      const tags = await page
        .locator('#customers-table tbody tr td:last-child')
        .evaluateAll((tds: PageElement[]) => tds.map((td) => td.textContent))
      const paying = ledger.customers.filter((row) => row.month === '2026-01' && row.currency === 'usd' && row.mrr > 0)
      // The ledger file calls each of them "new" (from nothing); the page must not.
      expect(paying.every((row) => row.movement === 'new')).toBe(true)
      expect(tags.filter((tag) => tag === 'Opening')).toHaveLength(paying.length)
      expect(tags).not.toContain('New')

      // A later month still shows its movements as before.
      await page.selectOption('#month', '2026-02')
      expect(await page.locator('[data-kpi="net"]').count()).toBe(1)
      const february = await page
        .locator('#customers-table tbody tr td:last-child')
        .evaluateAll((tds: PageElement[]) => tds.map((td) => td.textContent))
      expect(february).toContain('Expansion')
      expect(errors).toEqual([])
      await page.close()
    })
  },
)
