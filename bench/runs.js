// One benchmark run each: stripe-seed as a real process against a fresh emulator, or the model of
// the original design in-process against one. Each returns its figures and what the logs say.
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import Stripe from 'stripe'

import {simulationStart} from '../dist/billing-time.js'
import {defaultConfig} from '../dist/config/schema.js'
import {startEmulator} from '../dist/emulator/server.js'
import {planScenario} from '../dist/scenario/plan.js'
import {attribute, bounds, clockTimelines, wouldBeRateLimited} from './analysis.js'

const cli = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const KEY = 'sk_test_bench'
/** Stripe's test-mode limit (SB-6), and our default ceiling under it. */
export const STRIPE_RPS = 25
export const DEFAULT_CEILING_RPS = 20

/**
 * The latency model: Stripe-like request latency, advances of seconds that slow under contention
 * (SB-11, SB-6) and grow with the billing they run: 1–6 s for the advance itself plus 2 s
 * per month of renewals it crosses, so a one-month advance takes 3–8 s as before issue 20 and a
 * two-month advance 5–10 s, at least two one-month advances' billing work.
 */
export const MODEL = {
  latencyMs: [150, 350],
  advanceMs: [1000, 6000],
  advancePerIntervalMs: 2000,
  advancePerConcurrentMs: 40,
  rateLimit: STRIPE_RPS,
  seed: 11,
}

function runCli(argv, env, cwd) {
  return new Promise((resolve) => {
    const timed = existsSync('/usr/bin/time')
    const command = timed ? '/usr/bin/time' : process.execPath
    const commandArgs = timed ? ['-f', 'maxrss_kb=%M', process.execPath, cli, ...argv] : [cli, ...argv]
    const spawnedAt = Date.now()
    const child = spawn(command, commandArgs, {
      cwd,
      env: {...process.env, ...env, CI: '1'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    child.on('close', (code) => {
      const rss = /maxrss_kb=(\d+)/.exec(stderr)
      resolve({
        code,
        stdout,
        stderr,
        spawnedAt,
        exitedAt: Date.now(),
        maxRssMb: rss ? Number(rss[1]) / 1024 : undefined,
      })
    })
  })
}

async function seededAccount(model) {
  const emulator = await startEmulator({port: 0, ...model})
  const cwd = await mkdtemp(join(tmpdir(), 'stripe-seed-bench-'))
  const env = {STRIPE_API_BASE: emulator.url, STRIPE_SECRET_KEY: KEY}
  const seeded = await runCli(['prices', 'seed', '--json'], env, cwd)
  if (seeded.code !== 0) throw new Error(seeded.stderr)
  emulator.requestLog.length = 0
  emulator.advanceLog.length = 0
  const close = async () => {
    await emulator.close()
    await rm(cwd, {recursive: true, force: true})
  }
  return {emulator, cwd, env, prices: JSON.parse(seeded.stdout).plans, close}
}

/** What every run reports; `load1m` is the machine's load average as the run started. */
function figures(design, customers, seconds, load1m, log) {
  return {
    design,
    customers,
    seconds,
    load1m,
    requests: log.length,
    requestsPerCustomer: log.length / customers,
    rateLimited: log.filter((e) => e.status === 429).length,
  }
}

/** `run generate` as a process; `timeline` adds the per-clock analysis; `saveLogs` (a path prefix) keeps the emulator's logs for a closer look. */
export async function runStripeSeed({
  customers,
  label,
  flags = [],
  model = MODEL,
  ceilingRps = DEFAULT_CEILING_RPS,
  timeline = true,
  saveLogs,
  config,
}) {
  const account = await seededAccount(model)
  try {
    // A config file for what has no flag (clockStops: monthly, the design before issue 20).
    const configFlags = config ? ['--config', join(account.cwd, 'bench.config.json')] : []
    if (config) await writeFile(join(account.cwd, 'bench.config.json'), JSON.stringify(config))
    const load = loadavg()[0]
    const run = await runCli(
      ['run', 'generate', '--customers', String(customers), '--seed', '7', '--json', ...configFlags, ...flags],
      account.env,
      account.cwd,
    )
    const seconds = (run.exitedAt - run.spawnedAt) / 1000
    if (run.code !== 0) throw new Error(`${label}: exit ${run.code}\n${run.stderr.slice(-2000)}`)
    const result = JSON.parse(run.stdout)
    const log = account.emulator.requestLog
    const bound = bounds({log, advanceLog: account.emulator.advanceLog, stripeRps: STRIPE_RPS, ceilingRps})
    if (saveLogs)
      await writeFile(
        `${saveLogs}-${Date.now()}.json`,
        JSON.stringify({
          label,
          spawnedAt: run.spawnedAt,
          exitedAt: run.exitedAt,
          log,
          advanceLog: account.emulator.advanceLog,
        }),
      )
    const advancesPerClock = [
      ...account.emulator.advanceLog
        .reduce((byClock, a) => byClock.set(a.clockId, (byClock.get(a.clockId) ?? 0) + 1), new Map())
        .values(),
    ]
    return {
      ...figures(label, customers, seconds, load, log),
      watcherPolls: attribute(log).filter((e) => e.role === 'watcher').length,
      stops: {
        max: Math.max(0, ...advancesPerClock),
        mean: advancesPerClock.reduce((a, b) => a + b, 0) / Math.max(1, advancesPerClock.length),
        total: advancesPerClock.reduce((a, b) => a + b, 0),
      },
      renewals: result.renewals
        ? {
            inferredMonths: result.renewals.inferredMonths,
            checked: result.renewals.checked,
            mismatches: result.renewals.mismatches.length,
          }
        : undefined,
      maxRssMb: run.maxRssMb,
      status: result.status,
      lastMrrCents: result.mrrByMonth.at(-1).mrrCents,
      bound,
      vsTrueBound: seconds / bound.true.seconds,
      vsTodayBound: seconds / bound.today.seconds,
      ...(timeline
        ? {
            timeline: clockTimelines({
              log,
              advanceLog: account.emulator.advanceLog,
              spawnedAt: run.spawnedAt,
              exitedAt: run.exitedAt,
            }),
          }
        : {}),
    }
  } finally {
    await account.close()
  }
}

/**
 * A model of the original design, in-process. `design` is a module exporting runOriginalDesign;
 * `rateLimit` 0 for the faithful model (it has no 429 handling), whose would-be 429s are counted.
 */
export async function runOriginal({customers, label, design, rateLimit = 0}) {
  const account = await seededAccount({...MODEL, rateLimit})
  try {
    const url = new URL(account.emulator.url)
    const stripe = new Stripe(KEY, {
      host: url.hostname,
      port: Number(url.port),
      protocol: 'http',
      telemetry: false,
      maxNetworkRetries: 0,
    })
    const scenario = planScenario({
      config: defaultConfig(),
      customers,
      months: 6,
      seed: 7,
      startTime: simulationStart(new Date(), 6),
      runId: 'original',
    })
    const load = loadavg()[0]
    const started = performance.now()
    const outcome = await design.runOriginalDesign(
      stripe,
      scenario,
      Object.fromEntries(account.prices.map((p) => [p.key, p.priceId])),
    )
    const seconds = (performance.now() - started) / 1000
    const log = account.emulator.requestLog
    return {
      ...figures(label, customers, seconds, load, log),
      wouldBeRateLimited: wouldBeRateLimited(log, STRIPE_RPS),
      lastMrrCents: outcome.lastMrrCents,
      ...(outcome.phases ? {phases: outcome.phases, waitPasses: outcome.waitPasses} : {}),
    }
  } finally {
    await account.close()
  }
}

/**
 * `run generate` at scale with the emulator in its own process (`stripe-seed emulator`), so its
 * CPU and its event log are not counted against the CLI: the emulator answers at once and advances
 * in 50–150 ms, the scheduler is opened up, so what is measured is stripe-seed's own cost. Requests
 * are the CLI's own count (the emulator's log is not at hand out of process).
 */
export async function runScale({customers, label, scenario}) {
  const cwd = await mkdtemp(join(tmpdir(), 'stripe-seed-scale-'))
  const emulator = spawn(
    process.execPath,
    [
      cli,
      'emulator',
      '--json',
      '--port',
      '0',
      '--seed',
      '11',
      '--latency',
      '0',
      '--advance-ms',
      '50-150',
      '--advance-contention-ms',
      '0',
      '--rate-limit',
      '0',
    ],
    {cwd, env: {...process.env, CI: '1', STRIPE_SEED_WEBHOOK_SECRET: 'whsec_bench'}, stdio: ['ignore', 'pipe', 'pipe']},
  )
  try {
    const url = await new Promise((resolve, reject) => {
      let out = ''
      emulator.stdout.on('data', (chunk) => {
        out += chunk
        const line = out.split('\n').find((l) => l.includes('"listening"'))
        if (line) resolve(JSON.parse(line).url)
      })
      emulator.on('exit', (code) => reject(new Error(`emulator exited ${code}`)))
    })
    const env = {STRIPE_API_BASE: url, STRIPE_SECRET_KEY: KEY}
    const scenarioFlags = scenario ? ['--scenario', scenario] : []
    const seeded = await runCli(['prices', 'seed', '--json', ...scenarioFlags], env, cwd)
    if (seeded.code !== 0) throw new Error(seeded.stderr)
    const load = loadavg()[0]
    const run = await runCli(
      [
        'run',
        'generate',
        '--customers',
        String(customers),
        '--seed',
        '7',
        '--json',
        '--max-rps',
        '1000',
        '--rate',
        '1000',
        '--concurrency',
        '64',
        ...scenarioFlags,
      ],
      env,
      cwd,
    )
    const seconds = (run.exitedAt - run.spawnedAt) / 1000
    // A partial run (exit 3: some clocks failed) is a result too: recorded with its failed clocks, not lost with the rest.
    if (run.code !== 0 && run.code !== 3) throw new Error(`${label}: exit ${run.code}\n${run.stderr.slice(-2000)}`)
    const result = JSON.parse(run.stdout)
    return {
      design: label,
      scenario: scenario ?? 'default',
      ...(run.code === 3 ? {failedClocks: result.failedClocks} : {}),
      customers,
      seconds,
      load1m: load,
      requests: result.requests.total,
      requestsPerCustomer: result.requests.total / customers,
      rateLimited: result.requests.rateLimited,
      msPerCustomer: (seconds / customers) * 1000,
      maxRssMb: run.maxRssMb,
      status: result.status,
      renewals: result.renewals
        ? {
            inferredMonths: result.renewals.inferredMonths,
            checked: result.renewals.checked,
            mismatches: result.renewals.mismatches.length,
          }
        : undefined,
    }
  } finally {
    emulator.kill('SIGTERM')
    await new Promise((resolve) => (emulator.exitCode !== null ? resolve() : emulator.once('exit', resolve)))
    await rm(cwd, {recursive: true, force: true})
  }
}
