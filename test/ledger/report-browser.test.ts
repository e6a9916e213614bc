import {existsSync} from 'node:fs'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {type Browser, chromium} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import SnapshotsReport from '../../src/commands/snapshots/report.js'
import type {LedgerFile} from '../../src/files/ledger.js'
import {writeLedger} from '../../src/ledger/store.js'
import {runCommand} from '../helpers/in-process.js'
import {SAMPLE_MONTHS, sampleLedger} from '../helpers/sample-ledger.js'
import {useTempDirs} from '../helpers/tmp.js'

/** What the callbacks given to evaluateAll read off an element: the test's TypeScript has no DOM types. */
interface PageElement {
  textContent: string | null
  getAttribute(name: string): string | null
  querySelectorAll(selector: string): PageElement[]
}

/**
 * Opens the report in real headless Chromium (Debian's `chromium`; .ci/run installs it) and checks
 * that every chart rendered and the numbers on the page are the ledger's. Outside CI, without the
 * browser, it skips and says why; under CI=true a missing browser fails.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const available = existsSync(CHROMIUM)
const inCi = process.env.CI === 'true'
const tempDir = useTempDirs()
if (!available && !inCi)
  console.warn(
    `HTML report browser test skipped: ${CHROMIUM} not found (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  )

// The figures the page must show, summed here straight from the ledger's customer rows.
function expected(ledger: LedgerFile, month: string, currency: string) {
  const rows = ledger.customers.filter((row) => row.month === month && row.currency === currency)
  // The first reading is the opening balance: nothing moved into it.
  const moved = (kind: string) =>
    month === ledger.months[0]
      ? 0
      : rows.filter((row) => row.movement === kind).reduce((sum, row) => sum + Math.abs(row.change), 0)
  return {
    mrr: rows.reduce((sum, row) => sum + row.mrr, 0),
    new: moved('new'),
    expansion: moved('expansion'),
    contraction: moved('contraction'),
    churn: moved('churn'),
    reactivation: moved('reactivation'),
    rows,
  }
}
const usd = (minor: number) => new Intl.NumberFormat('en-US', {style: 'currency', currency: 'USD'}).format(minor / 100)

describe.runIf(!available && inCi)('HTML report in Chromium (CI)', () => {
  it('needs Chromium under CI', () => {
    expect.fail(`${CHROMIUM} not found: .ci/run installs Debian's chromium (apt-get install -y chromium)`)
  })
})

describe.skipIf(!available)(
  `HTML report in headless Chromium${available ? '' : ` (skipped: ${CHROMIUM} not found; apt-get install -y chromium)`}`,
  () => {
    let browser: Browser
    // Playwright gives each launch a fresh temporary profile (--user-data-dir) of its own.
    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      })
    })
    afterAll(async () => {
      await browser?.close()
    })

    it("renders every chart and shows the ledger's numbers, with no network request", async () => {
      const dir = await tempDir()
      const ledger = sampleLedger()
      await writeLedger(dir, ledger)
      const result = await runCommand(SnapshotsReport, ['--out-dir', dir, '--json'])
      expect(result.exitCode).toBe(0)
      const {file} = JSON.parse(result.stdout) as {file: string}
      expect(await readFile(file, 'utf8')).not.toMatch(/<script[^>]+src=|<link[^>]+href=/)

      const context = await browser.newContext({viewport: {width: 1280, height: 900}})
      const page = await context.newPage()
      const requests: string[] = []
      await page.route('**/*', (route) => {
        const url = route.request().url()
        if (url.startsWith('file:')) return route.continue()
        requests.push(url)
        return route.abort()
      })
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(pathToFileURL(file).href)
      await page.waitForFunction('window.reportReady === true')
      expect(errors).toEqual([])
      expect(requests).toEqual([])

      // Every chart exists, holds the ledger's series, and painted pixels on its canvas.
      // A string, evaluated in the page: the test's own TypeScript has no DOM types.
      const charts = await page.evaluate<
        Array<{id: string; painted: number; datasets: Array<{label: string; data: unknown[]}> | null}>
      >(`
      [...document.querySelectorAll('canvas')].map((canvas) => {
        const chart = Chart.getChart(canvas)
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
        let painted = 0
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++
        return {id: canvas.id, painted, datasets: chart ? chart.data.datasets.map((d) => ({label: d.label, data: d.data})) : null}
      })`)
      expect(charts.map((c) => c.id)).toEqual([
        'mrr-chart',
        'movements-chart',
        'waterfall-chart',
        'plan-mrr-chart',
        'plan-customers-chart',
        'arpu-chart',
      ])
      for (const chart of charts) {
        expect(chart.datasets, chart.id).not.toBeNull()
        expect(chart.painted, `${chart.id} painted pixels`).toBeGreaterThan(2000)
      }
      const months = SAMPLE_MONTHS.map((m) => expected(ledger, m, 'usd'))
      const mrrLine = charts[0]!.datasets!.find((d) => d.label === 'MRR (USD)')!
      expect(mrrLine.data).toEqual(months.map((m) => m.mrr / 100))
      const churnBars = charts[1]!.datasets!.find((d) => d.label === 'Churn')!
      expect(churnBars.data).toEqual(months.map((m) => -m.churn / 100))
      const last = months.at(-1)!
      const waterfall = charts[2]!.datasets![0]!.data as Array<[number, number]>
      // Start and End rise from the same floor (the axis minimum, not always 0); End reaches the month's MRR.
      expect(waterfall.at(-1)![1]).toBe(last.mrr / 100)
      expect(waterfall[0]![0]).toBe(waterfall.at(-1)![0])
      expect(waterfall.at(-1)![0]).toBeLessThanOrEqual(Math.min(...waterfall.flat()))

      // The headline figures and the month-by-month table.
      const kpi = (key: string) => page.locator(`[data-kpi="${key}"]`)
      expect(await kpi('mrr').getAttribute('data-value')).toBe(String(last.mrr))
      expect(await kpi('mrr').locator('.value').textContent()).toBe(usd(last.mrr))
      for (const [index, month] of SAMPLE_MONTHS.entries()) {
        const cells = await page
          .locator(`#summary-table tr[data-month="${month}"] td`)
          .evaluateAll((tds: PageElement[]) => tds.map((td) => td.getAttribute('data-value')))
        const m = months[index]!
        expect(cells.slice(1, 7).map(Number), month).toEqual([
          m.mrr,
          m.new,
          m.expansion,
          m.reactivation,
          m.contraction,
          m.churn,
        ])
      }
      expect(await page.locator('#summary-table tr[data-month="2026-02"] td').nth(1).textContent()).toBe(
        usd(months[1]!.mrr),
      )

      // The customer-level table of the selected month: one row per customer, each with its MRR.
      const customerCells = await page
        .locator('#customers-table tbody tr')
        .evaluateAll((trs: PageElement[]) =>
          trs.map((tr) => [tr.getAttribute('data-customer'), tr.querySelectorAll('td')[8]!.getAttribute('data-value')]),
        )
      expect(customerCells).toEqual(last.rows.map((row) => [row.customer_id, String(row.mrr)]))

      // Switching currency redraws everything in EUR.
      await page.selectOption('#currency', 'eur')
      const eur = expected(ledger, SAMPLE_MONTHS.at(-1)!, 'eur')
      expect(await kpi('mrr').getAttribute('data-value')).toBe(String(eur.mrr))
      expect(await kpi('mrr').locator('.value').textContent()).toBe(
        new Intl.NumberFormat('en-US', {style: 'currency', currency: 'EUR'}).format(eur.mrr / 100),
      )
      await page.selectOption('#currency', 'usd')

      if (process.env.REPORT_SCREENSHOT) await page.screenshot({path: process.env.REPORT_SCREENSHOT, fullPage: true})
      await context.close()
    })

    it('an empty history still opens, saying so', async () => {
      const dir = await tempDir()
      await writeFile(join(dir, 'sub_snapshots.json'), '[]')
      expect((await runCommand(SnapshotsReport, ['--out-dir', dir, '--json'])).exitCode).toBe(0)
      const page = await browser.newPage()
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(pathToFileURL(join(dir, 'mrr_report.html')).href)
      await page.waitForFunction('window.reportReady === true')
      expect(errors).toEqual([])
      expect(await page.locator('#kpis').textContent()).toBe('No subscriptions in the ledger yet.')
      await page.close()
    })
  },
)
