import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {simulationStart} from '../../src/billing-time.js'
import type {ClockWatcher} from '../../src/clocks/watcher.js'
import {makeRunId} from '../../src/commands/run/generate.js'
import {type Config, defaultConfig} from '../../src/config/schema.js'
import type {RunningEmulator} from '../../src/emulator/server.js'
import {type SnapshotRow, SnapshotsFileSchema, outFile} from '../../src/files/formats.js'
import {seedPrices} from '../../src/prices/seed.js'
import {type GenerateResult, claimOutDir, executeRun, prepareRun} from '../../src/run/generate.js'
import {RunProgress} from '../../src/run/progress.js'
import {planScenario} from '../../src/scenario/plan.js'
import {StripeGateway} from '../../src/stripe/gateway.js'

/** The scheduler opened up and retries quick: these tests check behaviour, not pace. */
export function fastConfig(overrides: Partial<Config['scheduler']> = {}): Config {
  const config = defaultConfig()
  return {
    ...config,
    advanceTimeoutSeconds: 60,
    scheduler: {...config.scheduler, maxRps: 500, perLaneRps: 200, maxInFlight: 20, retryBaseMs: 20, ...overrides},
  }
}

export function gatewayFor(emulator: RunningEmulator, config: Config): StripeGateway {
  return new StripeGateway({apiKey: 'sk_test_service', apiBase: emulator.url, scheduler: config.scheduler})
}

export interface ServiceRun {
  customers: number
  months: number
  seed: number
  config?: Config
  /** Continue the latest (or this) run instead of planning a new one. */
  resume?: true | string
  signal?: AbortSignal
  onProgress?: (progress: RunProgress) => void
  watcher?: ClockWatcher
  /** The lines the command would print before the run. */
  onNotices?: (notices: string[]) => void
}

/** `run generate` as its command drives it, in this process: claim the out-dir, preflight, execute. */
export async function runService(
  emulator: RunningEmulator,
  outDir: string,
  options: ServiceRun,
): Promise<GenerateResult> {
  const config = {...(options.config ?? fastConfig()), customers: options.customers, months: options.months}
  const gateway = gatewayFor(emulator, config)
  try {
    const now = new Date()
    const plan = options.resume
      ? undefined
      : planScenario({
          config,
          customers: options.customers,
          months: options.months,
          seed: options.seed,
          startTime: simulationStart(now, options.months),
          runId: makeRunId(now, options.seed),
        })
    const request = {
      config,
      outDir,
      apiBase: emulator.url,
      seedPrices: false,
      keepClocks: false,
      advanceTimeoutMs: config.advanceTimeoutSeconds * 1000,
      plan,
      ...(options.resume ? {resume: {runId: options.resume === true ? undefined : options.resume}} : {}),
    }
    const claimed = await claimOutDir(request)
    options.onNotices?.(claimed.notices)
    try {
      const progress = new RunProgress()
      if (options.onProgress) progress.onChange(() => options.onProgress!(progress))
      const prepared = await prepareRun(gateway, request, claimed, progress)
      return await executeRun(gateway, prepared, {progress, signal: options.signal, watcher: options.watcher})
    } finally {
      await claimed.lock.release()
    }
  } finally {
    await gateway.close()
  }
}

export async function seedEmulatorPrices(
  emulator: RunningEmulator,
  outDir: string,
  config = fastConfig(),
): Promise<void> {
  const gateway = gatewayFor(emulator, config)
  await seedPrices(gateway, config, {file: outFile(outDir, 'prices'), apiBase: emulator.url, now: new Date()})
  await gateway.close()
}

export async function readSnapshots(outDir: string): Promise<SnapshotRow[]> {
  return SnapshotsFileSchema.parse(JSON.parse(await readFile(join(outDir, 'sub_snapshots.json'), 'utf8')))
}

/** A snapshot without its ids: what two runs with the same seed must agree on. */
export function withoutIds(rows: SnapshotRow[]) {
  return rows.map(({month, plan, price_amount, screens, mrr_cents, status}) => ({
    month,
    plan,
    price_amount,
    screens,
    mrr_cents,
    status,
  }))
}

/** What the account holds: every customer once, one subscription each, the run's clocks. */
export function accountCounts(emulator: RunningEmulator) {
  const customers = [...emulator.engine.customers.values()]
  const subscriptions = [...emulator.engine.subscriptions.values()]
  const perCustomer = new Map<string, number>()
  for (const sub of subscriptions) perCustomer.set(sub.customer, (perCustomer.get(sub.customer) ?? 0) + 1)
  return {
    clocks: emulator.engine.clocks.size,
    customers: customers.length,
    subscriptions: subscriptions.length,
    maxSubscriptionsPerCustomer: Math.max(0, ...perCustomer.values()),
  }
}

/**
 * A crash at the worst instant: each clock's last step happened in Stripe but its journal line
 * never reached the disk; `tail` is what the torn write left after the last whole line.
 */
export async function loseEachClocksLastLine(path: string, tail = ''): Promise<void> {
  const lines = (await readFile(path, 'utf8')).trimEnd().split('\n')
  const lastOfClock = new Map<number, number>()
  for (const [index, line] of lines.entries()) {
    const entry = JSON.parse(line) as {clock?: number}
    if (entry.clock !== undefined) lastOfClock.set(entry.clock, index)
  }
  const lost = new Set(lastOfClock.values())
  await writeFile(path, `${lines.filter((_, index) => !lost.has(index)).join('\n')}\n${tail}`)
}
