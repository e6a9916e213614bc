import {Flags} from '@oclif/core'

import {BaseCommand, configFlags, outDirFlags, stripeFlags} from '../../base-command.js'
import {simulationStart} from '../../billing-time.js'
import type {Config} from '../../config/schema.js'
import {PARTIAL_RUN_EXIT_CODE, UsageError} from '../../errors.js'
import {readJsonFile} from '../../files/atomic.js'
import {type PricesFile, PricesFileSchema, outFile} from '../../files/formats.js'
import {seedPrices} from '../../prices/seed.js'
import {randomSeed} from '../../random.js'
import {formatUsd} from '../../render/table.js'
import {type GenerateResult, generateRun} from '../../run/generate.js'
import {RunProgress} from '../../run/progress.js'
import {buildRunTasks, chooseRenderer} from '../../run/tasks.js'
import {estimateRun} from '../../scenario/estimate.js'
import {MAX_CUSTOMERS, MAX_MONTHS, type Scenario, planScenario} from '../../scenario/plan.js'
import {formatDuration, renderScenario} from '../../scenario/render.js'

export type RunGenerateResult = GenerateResult | {dryRun: true; plan: Scenario; estimate: ReturnType<typeof estimateRun>}

/** `20261124-231005-7`: when and with which seed, readable in clock names and metadata. */
export function makeRunId(now: Date, seed: number): string {
  const iso = now.toISOString()
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}-${seed}`
}

export default class RunGenerate extends BaseCommand<RunGenerateResult> {
  static summary = 'Generate months of real billing history on Stripe test clocks, and the MRR ground truth'

  static description = `Creates customers on test clocks (3 per clock), one subscription each, then advances every clock one month at a time, applying upgrades, downgrades, cancellations and failed-card renewals as planned. After each month it reads the subscriptions back from Stripe and records them in sub_snapshots.json. Earlier stripe-seed clocks are deleted first (with their customers), unless --keep-clocks; clocks made by anyone else are never touched.

Exit codes: 0 complete, 1 failed, 2 usage error, 3 partial (some clocks failed; see failed_clocks in current_run.json).`

  static examples = [
    '<%= config.bin %> run generate --dry-run',
    '<%= config.bin %> run generate --customers 100 --seed 7',
    '<%= config.bin %> run generate --customers 1000 --months 12 --seed-prices --json > run.json',
  ]

  static flags = {
    ...stripeFlags,
    ...configFlags,
    ...outDirFlags,
    customers: Flags.integer({description: `Customers to create (1–${MAX_CUSTOMERS}); default from config (100)`, min: 1, max: MAX_CUSTOMERS}),
    months: Flags.integer({description: `Months of history (1–${MAX_MONTHS}); default from config (6)`, min: 1, max: MAX_MONTHS}),
    seed: Flags.integer({description: 'Seed for the plan: the same seed gives the same customers and events (random when absent, and printed)', min: 0}),
    'dry-run': Flags.boolean({description: 'Print the plan and its cost, touch nothing (no key needed)'}),
    concurrency: Flags.integer({description: 'Requests in flight at most, across all clocks (default 10)', min: 1, max: 100}),
    rate: Flags.string({description: 'Requests per second per clock lane (default 4)'}),
    'max-rps': Flags.string({description: 'Account-wide requests per second (default 20; Stripe test mode allows 25, more only makes sense against the emulator)'}),
    'advance-timeout': Flags.integer({description: 'Seconds to wait for one clock advance before giving that clock up (default 300)', min: 1}),
    'seed-prices': Flags.boolean({description: 'Run `prices seed` first, in the same run'}),
    'keep-clocks': Flags.boolean({description: 'Do not delete the test clocks of earlier stripe-seed runs'}),
  }

  async run(): Promise<RunGenerateResult> {
    const {flags} = await this.parse(RunGenerate)
    const {config: fileConfig} = await this.loadConfig(flags)
    const config = applyOverrides(fileConfig, flags)
    const seed = flags.seed ?? randomSeed()
    const now = new Date()
    const scenario = planScenario({config, customers: config.customers, months: config.months, seed, startTime: simulationStart(now, config.months), runId: makeRunId(now, seed)})
    const estimate = estimateRun(scenario, config.scheduler)

    if (flags['dry-run']) {
      this.say(renderScenario(scenario, estimate))
      return {dryRun: true, plan: scenario, estimate}
    }

    const {gateway} = this.connect(flags, config.scheduler)
    const outDir = this.outDir(flags)
    const pricesPath = outFile(outDir, 'prices')
    let prices: PricesFile | undefined
    let progress: RunProgress | undefined
    let result: GenerateResult | undefined
    let failure: unknown
    const remember = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work()
      } catch (error) {
        failure ??= error
        throw error
      }
    }
    const tasks = buildRunTasks(
      {
        preflight: () => remember(async () => {
          if (flags['seed-prices']) await seedPrices(gateway, config.plans, {file: pricesPath, apiBase: flags['api-base'], now})
          prices = await readJsonFile(pricesPath, PricesFileSchema, {missingHint: 'run `stripe-seed prices seed` first, or pass --seed-prices'})
          return `seed ${seed} · ${scenario.customers.length} customers on ${scenario.clocks.length} clocks · ${scenario.months} months`
        }),
        execute: () => remember(async () => {
          progress = new RunProgress(scenario.months, scenario.clocks.length)
          result = await generateRun(gateway, {
            scenario,
            prices: prices!,
            config,
            outDir,
            keepClocks: flags['keep-clocks'],
            advanceTimeoutMs: config.advanceTimeoutSeconds * 1000,
            apiBase: flags['api-base'],
            progress,
          })
        }),
        progress: () => progress,
        counts: () => gateway.counts(),
      },
      chooseRenderer({json: this.jsonEnabled(), isTTY: Boolean(process.stderr.isTTY), ci: Boolean(process.env.CI)}),
      scenario.months,
    )
    this.logToStderr(`stripe-seed run ${scenario.runId} (seed ${seed}: repeat with --seed ${seed})`)
    // Failed clocks fail their phases on screen, but the run still has a (partial) result.
    await tasks.run().catch((error: unknown) => {
      failure ??= error
    })
    if (!result) throw failure ?? new Error('BUG: the run ended without a result')
    this.sayResult(result)
    if (result.status === 'partial') process.exitCode = PARTIAL_RUN_EXIT_CODE
    return result
  }

  private sayResult(result: GenerateResult): void {
    const first = result.mrrByMonth[0]
    const last = result.mrrByMonth.at(-1)
    this.say(`
Run ${result.runId} ${result.status === 'complete' ? 'complete' : 'PARTIAL'} in ${formatDuration(result.wallTimeSeconds)}
  customers      ${result.customers} on ${result.clocks} clocks
  events         ${result.eventsApplied} applied · ${result.pastDue} past due at the end · ${result.canceled} subscriptions ended
  MRR            ${first ? `${first.month} ${formatUsd(first.mrrCents)}` : '-'} → ${last ? `${last.month} ${formatUsd(last.mrrCents)}` : '-'}
  requests       ${result.requests.total} (${result.requests.retries} retries, ${result.requests.rateLimited} rate-limited)
  files          ${result.files.currentRun}
                 ${result.files.snapshots}`)
    for (const failed of result.failedClocks) this.say(`  failed clock   ${failed.clockId}: ${failed.reason} (customers ${failed.customerIds.join(', ') || 'none created'})`)
  }
}

function parseRate(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const rate = Number(value)
  if (!(rate > 0 && rate <= 1000)) throw new UsageError(`--${flag} must be a number above 0 and at most 1000, got "${value}"`)
  return rate
}

/** Flags override the config file. */
function applyOverrides(config: Config, flags: {customers?: number; months?: number; concurrency?: number; rate?: string; 'max-rps'?: string; 'advance-timeout'?: number}): Config {
  return {
    ...config,
    customers: flags.customers ?? config.customers,
    months: flags.months ?? config.months,
    advanceTimeoutSeconds: flags['advance-timeout'] ?? config.advanceTimeoutSeconds,
    scheduler: {
      ...config.scheduler,
      maxInFlight: flags.concurrency ?? config.scheduler.maxInFlight,
      perLaneRps: parseRate(flags.rate, 'rate') ?? config.scheduler.perLaneRps,
      maxRps: parseRate(flags['max-rps'], 'max-rps') ?? config.scheduler.maxRps,
    },
  }
}
