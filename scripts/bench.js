#!/usr/bin/env node
// npm run bench: stripe-seed's speed against the emulator under a Stripe-like latency model, the
// original Python design's speed under the same model, the lower bound, and cost per customer and
// peak memory up to 10,000 customers. Writes bench-results.json; BENCHMARKS.md records the figures.
//   node scripts/bench.js [--quick] [--only latency|scale]
import {spawn} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import Stripe from 'stripe'

import {startEmulator} from '../dist/emulator/server.js'
import {defaultConfig} from '../dist/config/schema.js'
import {planScenario} from '../dist/scenario/plan.js'
import {simulationStart} from '../dist/billing-time.js'
import {runOriginalDesign} from './original-design.js'

const cli = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined
const KEY = 'sk_test_bench'

/** The latency model: Stripe-like request latency, advances of seconds that slow under contention (stripe-facts #6, #12). */
const MODEL = {latencyMs: [150, 350], advanceMs: [3000, 8000], advancePerConcurrentMs: 40, rateLimit: 25, seed: 11}
const STRIPE_RPS = 25

function runCli(argv, env, cwd) {
  return new Promise((resolve) => {
    const timed = existsSync('/usr/bin/time')
    const command = timed ? '/usr/bin/time' : process.execPath
    const commandArgs = timed ? ['-f', 'maxrss_kb=%M', process.execPath, cli, ...argv] : [cli, ...argv]
    const child = spawn(command, commandArgs, {cwd, env: {...process.env, ...env, CI: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    child.on('close', (code) => {
      const rss = /maxrss_kb=(\d+)/.exec(stderr)
      resolve({code, stdout, stderr, maxRssMb: rss ? Number(rss[1]) / 1024 : undefined})
    })
  })
}

/**
 * The fastest any design could go on this emulator run: every needed request at Stripe's 25 req/s,
 * or the slowest clock's chain (its advances as the emulator timed them, plus its own requests at
 * the mean latency), whichever is longer. Watcher polls are not "needed": they are overhead.
 */
function lowerBound(emulator, clockIds, pollPath = '/v1/test_helpers/test_clocks') {
  const log = emulator.requestLog
  const needed = log.filter((e) => !(e.method === 'GET' && e.path === pollPath) && e.status !== 429)
  const meanLatency = log.reduce((s, e) => s + e.latencyMs, 0) / Math.max(1, log.length)
  let slowest = 0
  for (const clockId of clockIds) {
    const advances = emulator.advanceLog.filter((a) => a.clockId === clockId)
    const ownRequests = needed.length / Math.max(1, clockIds.length)
    slowest = Math.max(slowest, advances.reduce((s, a) => s + a.durationMs, 0) + ownRequests * meanLatency)
  }
  return {seconds: Math.max(needed.length / STRIPE_RPS, slowest / 1000), neededRequests: needed.length, requestBound: needed.length / STRIPE_RPS, chainBound: slowest / 1000}
}

async function ours(customers, label, extraFlags = [], model = MODEL) {
  const emulator = await startEmulator({port: 0, ...model})
  const cwd = await mkdtemp(join(tmpdir(), 'stripe-seed-bench-'))
  const env = {STRIPE_API_BASE: emulator.url, STRIPE_SECRET_KEY: KEY}
  try {
    const seeded = await runCli(['prices', 'seed'], env, cwd)
    if (seeded.code !== 0) throw new Error(seeded.stderr)
    const before = emulator.requestLog.length
    emulator.advanceLog.length = 0
    const started = performance.now()
    const run = await runCli(['run', 'generate', '--customers', String(customers), '--seed', '7', '--json', ...extraFlags], env, cwd)
    const seconds = (performance.now() - started) / 1000
    if (run.code !== 0) throw new Error(`${label}: exit ${run.code}\n${run.stderr.slice(-2000)}`)
    const result = JSON.parse(run.stdout)
    emulator.requestLog.splice(0, before)
    const requests = emulator.requestLog.length
    const polls = emulator.requestLog.filter((e) => e.method === 'GET' && e.path === '/v1/test_helpers/test_clocks').length
    const bound = lowerBound(emulator, [...emulator.engine.clocks.keys()])
    return {
      design: label,
      customers,
      seconds,
      requests,
      requestsPerCustomer: requests / customers,
      watcherPolls: polls,
      rateLimited: emulator.requestLog.filter((e) => e.status === 429).length,
      maxRssMb: run.maxRssMb,
      status: result.status,
      lastMrrCents: result.mrrByMonth.at(-1).mrrCents,
      bound,
      ratioToBound: seconds / bound.seconds,
    }
  } finally {
    await emulator.close()
    await rm(cwd, {recursive: true, force: true})
  }
}

async function original(customers) {
  const emulator = await startEmulator({port: 0, ...MODEL})
  const cwd = await mkdtemp(join(tmpdir(), 'stripe-seed-bench-'))
  try {
    const seeded = await runCli(['prices', 'seed', '--json'], {STRIPE_API_BASE: emulator.url, STRIPE_SECRET_KEY: KEY}, cwd)
    const prices = JSON.parse(seeded.stdout).plans
    const url = new URL(emulator.url)
    const stripe = new Stripe(KEY, {host: url.hostname, port: Number(url.port), protocol: 'http', telemetry: false, maxNetworkRetries: 2})
    const scenario = planScenario({config: defaultConfig(), customers, months: 6, seed: 7, startTime: simulationStart(new Date(), 6), runId: 'original'})
    const before = emulator.requestLog.length
    emulator.advanceLog.length = 0
    const started = performance.now()
    const outcome = await runOriginalDesign(stripe, scenario, Object.fromEntries(prices.map((p) => [p.key, p.priceId])))
    const seconds = (performance.now() - started) / 1000
    emulator.requestLog.splice(0, before)
    return {design: 'original design (Python notes, modelled)', customers, seconds, requests: emulator.requestLog.length, requestsPerCustomer: emulator.requestLog.length / customers, rateLimited: emulator.requestLog.filter((e) => e.status === 429).length, lastMrrCents: outcome.lastMrrCents, ratioToBound: undefined}
  } finally {
    await emulator.close()
    await rm(cwd, {recursive: true, force: true})
  }
}

const results = {model: MODEL, node: process.version, date: new Date().toISOString(), latency: [], scale: []}
const show = (r) =>
  console.log(
    `${r.design.padEnd(44)} N=${String(r.customers).padStart(5)}  ${r.seconds.toFixed(1).padStart(7)} s  ${String(r.requests).padStart(6)} req  ${r.requestsPerCustomer.toFixed(2).padStart(5)} req/cust  429s ${r.rateLimited}` +
      (r.ratioToBound ? `  bound ${r.bound.seconds.toFixed(1)} s  ×${r.ratioToBound.toFixed(2)}` : '') +
      (r.maxRssMb ? `  rss ${r.maxRssMb.toFixed(0)} MB` : ''),
  )

if (only !== 'scale') {
  console.log('Latency model:', JSON.stringify(MODEL))
  for (const run of [
    () => ours(100, 'stripe-seed (defaults: 20 req/s)'),
    () => ours(100, 'stripe-seed --max-rps 24', ['--max-rps', '24']),
    ...(quick ? [] : [() => original(100)]),
  ]) {
    const r = await run()
    results.latency.push(r)
    show(r)
  }
  const base = results.latency.find((r) => r.design.startsWith('original'))
  if (base) for (const r of results.latency.filter((x) => x !== base)) r.speedupVsOriginal = base.seconds / r.seconds
}
if (only !== 'latency') {
  // Cost per customer and memory: the emulator answers at once and advances in 50–150 ms, the
  // scheduler is opened up, so what is measured is stripe-seed's own cost, not Stripe's pace.
  const fast = {latencyMs: 0, advanceMs: [50, 150], advancePerConcurrentMs: 0, rateLimit: 0, seed: 11, log: true}
  for (const n of quick ? [100, 1000] : [100, 1000, 10_000]) {
    const r = await ours(n, 'stripe-seed, emulator at full speed', ['--max-rps', '1000', '--rate', '1000', '--concurrency', '64'], fast)
    r.secondsPerThousandCustomers = (r.seconds / n) * 1000
    results.scale.push(r)
    show(r)
  }
}
await writeFile('bench-results.json', `${JSON.stringify(results, null, 2)}\n`)
console.log('\nwrote bench-results.json')
