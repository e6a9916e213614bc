import {existsSync} from 'node:fs'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {type Browser, chromium} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import SnapshotsReport from '../../src/commands/snapshots/report.js'
import type {PricesFile} from '../../src/files/formats.js'
import type {LedgerFile} from '../../src/files/ledger.js'
import {MrrDefinitionsSchema} from '../../src/ledger/definitions.js'
import {ledgerItemRows} from '../../src/ledger/mrr.js'
import {buildLedger} from '../../src/ledger/movements.js'
import {writeLedger} from '../../src/ledger/store.js'
import {runCommand} from '../helpers/in-process.js'
import {SAMPLE_MONTHS, sampleLedger} from '../helpers/sample-ledger.js'
import {type SubscriptionSpec, subscription} from '../helpers/stripe-objects.js'
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
/** The saas catalog's plans as stripe_prices.json lists them (its order is the views' order). */
const CATALOG: Array<[key: string, name: string]> = [
  ['free', 'Free'],
  ['standard', 'Standard'],
  ['pro_plus', 'Pro Plus'],
  ['engage', 'Engage'],
  ['enterprise', 'Enterprise'],
]
function pricesFile(): PricesFile {
  const plans = CATALOG.map(([key, name], i) => ({
    key,
    name,
    price_id: `price_${key}`,
    product_id: `prod_${key}`,
    unit_amount: i * 1000,
    currency: 'usd',
    lookup_key: key,
  }))
  return {
    price_ids: Object.fromEntries(plans.map((p) => [p.key, p.price_id])),
    price_to_plan: Object.fromEntries(plans.map((p) => [p.price_id, p.name])),
    plans,
    seeded_at: '2026-01-01T00:00:00Z',
  }
}

/** A history of two readings a month apart, each the subscriptions active then. */
function twoReadings(first: SubscriptionSpec[], second: SubscriptionSpec[]): LedgerFile {
  const definitions = MrrDefinitionsSchema.parse({})
  const readings = {'2026-01': first, '2026-02': second}
  const at = (month: string) => Date.parse(`${month}-28T00:00:00Z`) / 1000
  const items = Object.entries(readings).flatMap(([month, specs]) =>
    specs.flatMap((spec) => ledgerItemRows(subscription(spec), {month, at: at(month), definitions})),
  )
  return buildLedger(definitions, Object.keys(readings), items)
}
const seats = (customer: string, plan: string, quantity: number): SubscriptionSpec => ({
  customer: `cus_${customer}`,
  id: `sub_${customer}`,
  items: [{plan, unitAmount: 1000, quantity}],
})

/** $28,000 of MRR, then one $240 customer churns: the case a waterfall from $0 draws as a hairline. */
function smallChurnLedger(): LedgerFile {
  const big = seats('big', 'enterprise', 2776)
  const small = seats('small', 'standard', 24)
  return twoReadings([big, small], [big, {...small, status: 'canceled'}])
}

/** $18,080, then a $760 contraction and a $1,080 churn: movements a tenth of MRR, each a step. */
function contractionAndChurnLedger(): LedgerFile {
  const [big, shrinks, leaves] = [
    seats('big', 'enterprise', 1500),
    seats('shrinks', 'engage', 200),
    seats('leaves', 'pro_plus', 108),
  ]
  return twoReadings([big, shrinks, leaves], [big, seats('shrinks', 'engage', 124), {...leaves, status: 'canceled'}])
}

/**
 * Each chart's drawn geometry, read from Chart.js in the page: the plot area, each y axis's range, and
 * every bar's or point's top and bottom in pixels (a bar spans y to base; a point sits at y).
 */
const CHART_GEOMETRY = `
  [...document.querySelectorAll('canvas')].map((canvas) => {
    const chart = Chart.getChart(canvas)
    const elements = chart.data.datasets.flatMap((d, i) => chart.getDatasetMeta(i).hidden ? [] : chart.getDatasetMeta(i).data
      .filter((e, j) => d.data[j] !== null && d.data[j] !== undefined && !e.skip)
      .map((e, j) => ({dataset: d.label, top: Math.min(e.y, e.base ?? e.y), bottom: Math.max(e.y, e.base ?? e.y)})))
    const axes = Object.values(chart.scales).filter((s) => s.axis === 'y').map((s) => ({id: s.id, min: s.min, max: s.max}))
    return {id: canvas.id, area: {top: chart.chartArea.top, bottom: chart.chartArea.bottom}, axes, elements,
      datasets: chart.data.datasets.map((d) => ({label: d.label, color: d.backgroundColor, data: d.data}))}
  })`
interface ChartGeometry {
  id: string
  area: {top: number; bottom: number}
  axes: Array<{id: string; min: number; max: number}>
  elements: Array<{dataset: string; top: number; bottom: number}>
  datasets: Array<{label: string; color: unknown; data: unknown[]}>
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

    /** Writes the report of ledger (with the saas catalog beside it) and opens it at 1280×900. */
    async function openReport(ledger: LedgerFile) {
      const dir = await tempDir()
      await writeLedger(dir, ledger)
      await writeFile(join(dir, 'stripe_prices.json'), JSON.stringify(pricesFile()))
      expect((await runCommand(SnapshotsReport, ['--out-dir', dir, '--json'])).exitCode).toBe(0)
      const page = await browser.newPage({viewport: {width: 1280, height: 900}})
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(pathToFileURL(join(dir, 'mrr_report.html')).href)
      await page.waitForFunction('window.reportReady === true')
      expect(errors).toEqual([])
      const charts = async () => {
        const all = await page.evaluate<ChartGeometry[]>(CHART_GEOMETRY)
        return Object.fromEntries(all.map((chart) => [chart.id, chart]))
      }
      return {page, charts}
    }
    /** The plan charts' legend as drawn: each plan's label and colour, in order. */
    const legend = (chart: ChartGeometry) => chart.datasets.map((d) => [d.label, d.color])

    it("draws plans by the catalog's names, order and colours: the same in every currency and every report", async () => {
      const {page, charts} = await openReport(sampleLedger())
      const colour = Object.fromEntries(
        (
          await page.evaluate<Array<{name: string; color: string}>>(
            "JSON.parse(document.getElementById('report-data').textContent).plans",
          )
        ).map((p) => [p.name, p.color]),
      )
      const usdCharts = await charts()
      // Named as stripe_prices.json names them, in its order; pro_yearly, which it lacks, last and named from its key.
      const usdLegend = ['Standard', 'Pro Plus', 'Engage', 'Pro Yearly'].map((name) => [name, colour[name]])
      expect(legend(usdCharts['plan-mrr-chart']!)).toEqual(usdLegend)
      expect(legend(usdCharts['plan-customers-chart']!)).toEqual(usdLegend)
      expect(new Set(Object.values(colour)).size).toBe(Object.keys(colour).length)
      await page.selectOption('#currency', 'eur')
      expect(legend((await charts())['plan-mrr-chart']!)).toEqual([['Standard', colour.Standard]])
      await page.close()

      // Another history with other plans in it: each plan keeps its colour, and the order is still the catalog's.
      const other = await openReport(smallChurnLedger())
      expect(legend((await other.charts())['plan-mrr-chart']!)).toEqual([
        ['Standard', colour.Standard],
        ['Enterprise', colour.Enterprise],
      ])
      await other.page.close()
    })

    it('draws a $240 churn on $28,000 of MRR as a step the eye can see, the axis saying where it starts', async () => {
      const {page, charts} = await openReport(smallChurnLedger())
      const waterfall = (await charts())['waterfall-chart']!
      const height = waterfall.area.bottom - waterfall.area.top
      const [start, , , , , churn, end] = waterfall.elements
      // From $0 the step would be 240/28,000 of the plot: under 3 pixels. Here it is a tenth of the plot or more.
      expect(churn!.bottom - churn!.top).toBeGreaterThan(height / 10)
      expect(end!.top).toBeGreaterThan(start!.top)
      const data = waterfall.datasets[0]!.data as Array<[number, number]>
      expect(data[0]).toEqual([data[0]![0], 28_000])
      expect(data[5]).toEqual([28_000, 27_760])
      // The bars rise from the axis floor, above $0, and the caption says so.
      expect(data[0]![0]).toBeGreaterThan(0)
      expect(waterfall.axes[0]!.min).toBe(data[0]![0])
      expect(await page.locator('#waterfall-title').textContent()).toContain(`axis from ${usd(data[0]![0] * 100)}`)
      await page.close()
    })

    it("leaves headroom in every chart: no bar or point touches the plot's top, nor a negative bar its bottom", async () => {
      for (const ledger of [sampleLedger(), smallChurnLedger(), contractionAndChurnLedger()]) {
        const {page, charts} = await openReport(ledger)
        for (const currency of [...new Set(ledger.customers.map((row) => row.currency))]) {
          for (const month of ledger.months) {
            await page.selectOption('#currency', currency)
            await page.selectOption('#month', month)
            for (const chart of Object.values(await charts())) {
              const where = `${currency} ${month} ${chart.id}`
              const height = chart.area.bottom - chart.area.top
              const top = Math.min(...chart.elements.map((e) => e.top))
              expect(top - chart.area.top, `${where}: space above the highest value`).toBeGreaterThan(height / 20)
              if (chart.axes.some((axis) => axis.min < 0)) {
                const bottom = Math.max(...chart.elements.map((e) => e.bottom))
                expect(chart.area.bottom - bottom, `${where}: space below the lowest value`).toBeGreaterThan(
                  height / 20,
                )
              }
            }
            // The waterfall's Start and End rise from the axis floor: an axis reaching below them would make them float.
            const waterfall = (await charts())['waterfall-chart']!
            const [start] = waterfall.elements
            expect(
              Math.abs(start!.bottom - waterfall.area.bottom),
              `${currency} ${month} waterfall floor`,
            ).toBeLessThan(1)
            expect(Math.abs(waterfall.elements.at(-1)!.bottom - waterfall.area.bottom)).toBeLessThan(1)
          }
        }
        await page.close()
      }
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
