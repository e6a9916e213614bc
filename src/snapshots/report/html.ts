import {readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import {minorUnitExponent} from '../../ledger/definitions.js'
import {formatChange, formatMoney} from '../../render/money.js'
import {UNSEEN} from '../compare/causes.js'
import type {Comparison} from '../compare/compare.js'
import type {ReportModel} from './model.js'
import {PAGE_SCRIPT, PAGE_STYLE} from './page.js'

/**
 * Chart.js's browser bundle, found through the package's own `unpkg` field (its declared
 * single-file build) rather than a hard-coded path into node_modules.
 */
export async function chartJsBundle(): Promise<string> {
  const require = createRequire(import.meta.url)
  const root = dirname(dirname(require.resolve('chart.js')))
  const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {unpkg?: string}
  if (!manifest.unpkg) throw new Error('BUG: chart.js no longer declares its browser bundle (package.json "unpkg")')
  return readFile(join(root, manifest.unpkg), 'utf8')
}

/** JSON that is safe inside a <script> element: no `</script>`, no line separators JS would choke on. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029')
}

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

/** One self-contained page: the data, Chart.js and the page's script inline; nothing fetched at view time. */
export function renderReportHtml(
  model: ReportModel,
  chartJs: string,
  compared?: {comparison: Comparison; file: string},
): string {
  const exponents = Object.fromEntries(model.currencies.map((c) => [c, minorUnitExponent(c)]))
  const range = model.months.length > 0 ? `${model.months[0]} to ${model.months.at(-1)}` : 'no months'
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>MRR ground truth · stripe-seed</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header>
  <div>
    <h1>MRR ground truth</h1>
    <p class="sub">${escapeHtml(range)} · from <code>${escapeHtml(model.read)}</code>${model.source === 'snapshots' ? ' (no ledger: monthly prices without discounts, as that file holds)' : ''}</p>
  </div>
  <div class="controls">
    <label>Currency <select id="currency"></select></label>
    <label>Month <select id="month"></select></label>
  </div>
</header>
<main>
  <section class="kpis" id="kpis"></section>
  <section class="grid">
    <figure class="card wide"><figcaption>MRR over time</figcaption><div class="chart"><canvas id="mrr-chart" aria-label="MRR over time"></canvas></div></figure>
    <figure class="card"><figcaption>MRR movements per month</figcaption><div class="chart"><canvas id="movements-chart" aria-label="MRR movements per month"></canvas></div></figure>
    <figure class="card"><figcaption id="waterfall-title">Waterfall</figcaption><div class="chart"><canvas id="waterfall-chart" aria-label="MRR waterfall for the month"></canvas></div></figure>
    <figure class="card"><figcaption>MRR by plan</figcaption><div class="chart"><canvas id="plan-mrr-chart" aria-label="MRR by plan"></canvas></div></figure>
    <figure class="card"><figcaption>Customers by plan</figcaption><div class="chart"><canvas id="plan-customers-chart" aria-label="Customers by plan"></canvas></div></figure>
    <figure class="card wide"><figcaption>ARPU and subscriber churn rate</figcaption><div class="chart"><canvas id="arpu-chart" aria-label="ARPU and churn rate"></canvas></div></figure>
  </section>
  <section class="card table-card"><h2>Month by month</h2><div class="scroll"><table id="summary-table"></table></div></section>
  <section class="card table-card"><h2 id="customers-title">Customers</h2><div class="scroll tall"><table id="customers-table"></table></div></section>
${compared ? comparisonSection(compared.comparison, compared.file) : ''}
  <section class="card definitions"><h2>Definitions used</h2><ul>${model.definitions.map((d) => `<li>${escapeHtml(d)}</li>`).join('')}</ul>
  <p>Stripe's definitions: docs.stripe.com/billing/subscriptions/analytics/glossary and support.stripe.com/questions/billing-analytics. The README says where each number comes from.</p></section>
</main>
<script type="application/json" id="report-data">${scriptJson({...model, exponents})}</script>
<script>${chartJs}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`
}

/** `--compare`: the user's numbers beside the truth, drawn in Node (static rows, no chart). */
function comparisonSection(comparison: Comparison, file: string): string {
  const row = (cells: string[], classes: string[] = []) =>
    `<tr>${cells.map((cell, i) => `<td${classes[i] ? ` class="${classes[i]}"` : ''}>${escapeHtml(cell)}</td>`).join('')}</tr>`
  const sign = (n: number) => (n > 0 ? 'pos' : n < 0 ? 'neg' : '')
  const months = comparison.months
    .map((line) =>
      row(
        [
          line.month,
          line.currency.toUpperCase(),
          formatMoney(line.yours, line.currency),
          formatMoney(line.truth, line.currency),
          formatChange(line.difference, line.currency),
        ],
        ['', 'text', '', '', sign(line.difference)],
      ),
    )
    .join('')
  const keyHeader = comparison.grain === 'total' ? '' : comparison.grain === 'customer' ? 'Customer' : 'Subscription'
  const sides = {both: 'both', yours: 'only yours', truth: 'only the truth'}
  const differences = comparison.differences
    .map((d) =>
      row(
        [
          d.month,
          ...(keyHeader ? [d.key] : []),
          formatMoney(d.yours, d.currency),
          formatMoney(d.truth, d.currency),
          formatChange(d.difference, d.currency),
          sides[d.side],
          d.explanation,
        ],
        ['', ...(keyHeader ? ['text'] : []), '', '', sign(d.difference), 'text', 'text'],
      ),
    )
    .join('')
  const head = (names: string[]) => `<thead><tr>${names.map((n) => `<th>${escapeHtml(n)}</th>`).join('')}</tr></thead>`
  const verdict = comparison.matches
    ? '<p class="pos" data-compare="match">Your numbers match the truth.</p>'
    : `<p class="neg" data-compare="differ">${comparison.differences.length} difference(s). Unexplained ones: ${escapeHtml(UNSEEN)}.</p>`
  return `<section class="card table-card" id="comparison"><h2>Your numbers against the truth · <code>${escapeHtml(file)}</code></h2>
  ${verdict}
  <div class="scroll"><table>${head(['Month', 'Currency', 'Yours', 'Truth', 'Difference'])}<tbody>${months}</tbody></table></div>
  ${differences ? `<h2 style="margin-top:16px">Differences</h2><div class="scroll tall"><table id="comparison-table">${head(['Month', ...(keyHeader ? [keyHeader] : []), 'Yours', 'Truth', 'Difference', 'Where', 'Cause'])}<tbody>${differences}</tbody></table></div>` : ''}
  </section>`
}
