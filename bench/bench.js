#!/usr/bin/env node
// npm run bench: stripe-seed's speed against the emulator under a Stripe-like latency model, beside
// a model of the original Python design under the same model; the lower bounds and a per-clock
// timeline of where the time went; cost per customer and peak memory at scale. Writes
// bench/results.json; BENCHMARKS.md records the figures.
//   node bench/bench.js [--repeat N] [--quick] [--only latency|scale] [--with-10k] [--with-max-rps-24] [--customers N] [--compare-model FILE] [--save-logs PREFIX]
import {existsSync} from 'node:fs'
import {readFile, writeFile} from 'node:fs/promises'
import {cpus, loadavg} from 'node:os'
import {resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import * as originalDesign from './original-design.js'
import {MODEL, runOriginal, runScale, runStripeSeed} from './runs.js'

const args = process.argv.slice(2)
const flag = (name) => args.includes(name)
const value = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback)
const quick = flag('--quick')
const only = value('--only')
const repeat = Number(value('--repeat', '1'))
const customers = Number(value('--customers', '100'))
const compareModel = value('--compare-model') && {
  path: value('--compare-model'),
  module: await import(pathToFileURL(resolve(value('--compare-model'))).href),
}
const saveLogs = value('--save-logs')
const resultsFile = fileURLToPath(new URL('results.json', import.meta.url))

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const spread = (xs) => ({median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs.length})
const s1 = (x) => x.toFixed(1)

function show(r) {
  const parts = [
    `${r.design.padEnd(36)} N=${String(r.customers).padStart(5)}  ${s1(r.seconds).padStart(6)} s  ${String(r.requests).padStart(6)} req  ${r.requestsPerCustomer.toFixed(2)} req/cust  429s ${r.rateLimited}`,
  ]
  if (r.wouldBeRateLimited !== undefined) parts.push(`would-be 429s ${r.wouldBeRateLimited}`)
  if (r.bound && r.timeline)
    parts.push(
      `bounds: today ${s1(r.bound.today.seconds)} s (×${r.vsTodayBound.toFixed(2)}), true ${s1(r.bound.true.seconds)} s (×${r.vsTrueBound.toFixed(2)})`,
    )
  if (r.stops) parts.push(`stops/clock max ${r.stops.max} mean ${r.stops.mean.toFixed(2)}`)
  if (r.renewals)
    parts.push(
      `skipped ${r.renewals.inferredMonths} clock-months, ${r.renewals.checked} rows checked, ${r.renewals.mismatches} disagree`,
    )
  if (r.maxRssMb) parts.push(`rss ${r.maxRssMb.toFixed(0)} MB`)
  parts.push(`load ${r.load1m.toFixed(2)}`)
  console.log(parts.join('  '))
  if (r.timeline) {
    const t = r.timeline
    const c = t.critical
    const f = (o) =>
      `waiting ${s1(o.waiting)}, latency ${s1(o.latency)}, advancing ${s1(o.advancing)}, poll lag ${s1(o.pollLag)}`
    console.log(
      `    start-up ${s1(t.startup)} s, cleanup ${s1(t.cleanup)} s, finish ${s1(t.finish)} s; last clock (#${c.clock}) creation: ${f(c.creation)}; months: ${f(c.months)}`,
    )
    console.log(`    mean clock creation: ${f(t.mean.creation)}; months: ${f(t.mean.months)}`)
  }
  if (r.phases) {
    const byName = {}
    for (const p of r.phases) byName[p.name] = (byName[p.name] ?? 0) + p.seconds
    console.log(
      `    phases: ${Object.entries(byName)
        .map(([k, v]) => `${k} ${s1(v)} s`)
        .join(', ')}; wait passes ${r.waitPasses}`,
    )
  }
}

const results = {
  model: MODEL,
  node: process.version,
  cpus: cpus().length,
  date: new Date().toISOString(),
  loadBefore: loadavg(),
  latency: {runs: [], summary: {}},
  scale: [],
}

if (only !== 'scale') {
  console.log('Latency model:', JSON.stringify(MODEL), `× ${repeat}`)
  const configurations = [
    ...(quick ? [] : [() => runOriginal({customers, label: 'original design (modelled)', design: originalDesign})]),
    // Another model to run beside it, e.g. an earlier one from git history; it gets the account's rate limit.
    ...(compareModel
      ? [
          () =>
            runOriginal({
              customers,
              label: `model ${compareModel.path}`,
              design: compareModel.module,
              rateLimit: MODEL.rateLimit,
            }),
        ]
      : []),
    // The design before issue 20, every clock stopping every month, so the gain is measured, not remembered.
    () => runStripeSeed({customers, label: 'stripe-seed month by month', config: {clockStops: 'monthly'}, saveLogs}),
    () => runStripeSeed({customers, label: 'stripe-seed (defaults: stops, 20 req/s)', saveLogs}),
    ...(flag('--with-max-rps-24')
      ? [
          () =>
            runStripeSeed({
              customers,
              label: 'stripe-seed --max-rps 24',
              flags: ['--max-rps', '24'],
              ceilingRps: 24,
              saveLogs,
            }),
        ]
      : []),
  ]
  for (let round = 1; round <= repeat; round++) {
    for (const configuration of configurations) {
      const r = {round, ...(await configuration())}
      results.latency.runs.push(r)
      show(r)
    }
  }
  const designs = [...new Set(results.latency.runs.map((r) => r.design))]
  const original = results.latency.runs.filter((r) => r.design.startsWith('original'))
  for (const design of designs) {
    const runs = results.latency.runs.filter((r) => r.design === design)
    const summary = {seconds: spread(runs.map((r) => r.seconds))}
    if (runs[0].bound) {
      summary.vsTrueBound = spread(runs.map((r) => r.vsTrueBound))
      summary.vsTodayBound = spread(runs.map((r) => r.vsTodayBound))
      summary.trueBound = spread(runs.map((r) => r.bound.true.seconds))
      if (original.length > 0)
        summary.speedupVsOriginal = median(original.map((r) => r.seconds)) / summary.seconds.median
    }
    results.latency.summary[design] = summary
    console.log(
      `${design}: median ${s1(summary.seconds.median)} s (${s1(summary.seconds.min)}–${s1(summary.seconds.max)}, ${runs.length} runs)` +
        (summary.speedupVsOriginal
          ? `, ${summary.speedupVsOriginal.toFixed(2)}× the original, ${summary.vsTrueBound.median.toFixed(2)}× the true bound`
          : ''),
    )
  }
}
if (only !== 'latency') {
  // Cost per customer and memory, the emulator in its own process (bench/runs.js runScale).
  const sizes = quick ? [100] : flag('--with-10k') ? [100, 1000, 10_000] : [100, 1000]
  for (const scenario of quick ? [undefined] : [undefined, 'saas'])
    for (const n of sizes) {
      const r = await runScale({
        customers: n,
        label: `stripe-seed${scenario ? ` --scenario ${scenario}` : ''}`,
        scenario,
      })
      r.secondsPerThousandCustomers = (r.seconds / n) * 1000
      results.scale.push(r)
      show(r)
      console.log(`    ${r.msPerCustomer.toFixed(1)} ms/customer`)
    }
}
results.loadAfter = loadavg()
// A partial run (--only) keeps the other section of the last full results.
const previous = existsSync(resultsFile) ? JSON.parse(await readFile(resultsFile, 'utf8')) : {}
if (only === 'latency') results.scale = previous.scale ?? []
if (only === 'scale') results.latency = previous.latency ?? {runs: [], summary: {}}
await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`)
console.log(`\nwrote ${resultsFile}`)
