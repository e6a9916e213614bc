import {Args, Flags} from '@oclif/core'

import {BaseCommand, configFlags, outDirFlags, stripeFlags} from '../../base-command.js'
import {simulationStart} from '../../billing-time.js'
import type {Config} from '../../config/schema.js'
import {FAILED_RUN_EXIT_CODE, PARTIAL_RUN_EXIT_CODE, SIGNAL_EXIT_CODES, UsageError} from '../../errors.js'
import {randomSeed} from '../../random.js'
import {
  type GenerateResult,
  type PreparedRun,
  type RunRequest,
  claimOutDir,
  executeRun,
  prepareRun,
} from '../../run/generate.js'
import {RunProgress} from '../../run/progress.js'
import {resumeCommand as printedResumeCommand} from '../../run/resume-command.js'
import {renderRunResult} from '../../run/result-view.js'
import {stopRunOnSignals} from '../../run/stopping.js'
import {buildRunTasks, chooseRenderer} from '../../run/tasks.js'
import {estimateRun} from '../../scenario/estimate.js'
import {MAX_CUSTOMERS, MAX_MONTHS, type Scenario, planScenario} from '../../scenario/plan.js'
import {formatScenarioList, renderScenario} from '../../scenario/render.js'
import {applyScenario, listScenarios} from '../../config/scenarios.js'

export type RunGenerateResult =
  | (GenerateResult & {resumeCommand?: string})
  | {dryRun: true; plan: Scenario; estimate: ReturnType<typeof estimateRun>}
  | {scenarios: Array<{name: string; description: string}>}

/** `20261124-231005-7`: when and with which seed, readable in clock names and metadata. */
export function makeRunId(now: Date, seed: number): string {
  const iso = now.toISOString()
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}-${seed}`
}

export default class RunGenerate extends BaseCommand<RunGenerateResult> {
  static summary = 'Generate months of real billing history on Stripe test clocks, and the MRR ground truth'

  static description = `Creates customers on test clocks (3 per clock), one subscription each, then advances each clock through the months, applying upgrades, downgrades, cancellations and failed-card renewals as planned. A clock stops only in the months where something happens to one of its customers, and at least every second month (Stripe's limit for one advance); at each stop it reads the subscriptions back from Stripe. The months between two stops are written from the reading before, and checked against the renewal invoices Stripe made for them. All of it goes into mrr_ledger.json (the MRR ground truth) and sub_snapshots.json.

With --scenario NAME (or scenario sections in the config) the history also has what the scenario plans: trials, coupons and promotion codes, yearly plans, other currencies, changes inside the billing period (the clock stops at each one's exact time), scheduled cancellations, reactivations and seat growth. Its prices and coupons come from \`prices seed --scenario NAME\`.

Before anything is deleted or created, preflight checks that the out-dir is writable and not used by another live run, that the key works, and that every price in stripe_prices.json is on this account as the config says. Then the clocks of this out-dir's earlier runs are deleted (with their customers), unless --keep-clocks; clocks of other out-dirs, teammates and other tools are never touched.

Every step is journaled under <out-dir>/.stripe-seed/. After a crash, Ctrl-C or a partial run, --resume continues the run where it stopped (failed clocks are retried with a new clock) and ends with the files an uninterrupted run writes.

Exit codes: 0 complete, 1 failed (no clock completed; earlier files are left as they were), 2 the invocation is wrong (a flag, the config, the key, or --resume of a run that cannot be resumed), 3 partial (some clocks failed; see failed_clocks in current_run.json), 130/143 interrupted by Ctrl-C/SIGTERM (resume with --resume).`

  static examples = [
    '<%= config.bin %> run generate --dry-run',
    '<%= config.bin %> run generate --customers 100 --seed 7',
    '<%= config.bin %> run generate --scenario saas --customers 200 --seed 1 --dry-run',
    '<%= config.bin %> run generate --scenario list',
    '<%= config.bin %> run generate --resume',
    '<%= config.bin %> run generate --customers 1000 --months 12 --json > run.json',
  ]

  static args = {
    runId: Args.string({
      description: 'With --resume: the run to continue (default: the latest unfinished run in the out-dir)',
      required: false,
    }),
  }

  static flags = {
    ...stripeFlags,
    ...configFlags,
    ...outDirFlags,
    customers: Flags.integer({
      description: `Customers to create (1–${MAX_CUSTOMERS}); default from config (100)`,
      min: 1,
      max: MAX_CUSTOMERS,
    }),
    months: Flags.integer({
      description: `Months of history (1–${MAX_MONTHS}); default from config (6)`,
      min: 1,
      max: MAX_MONTHS,
    }),
    scenario: Flags.string({
      description:
        'A named scenario: trials, coupons, yearly plans, currencies, mid-cycle changes… on top of the config (`--scenario list` names them); its prices come from `prices seed --scenario NAME`',
      env: 'STRIPE_SEED_SCENARIO',
    }),
    seed: Flags.integer({
      description:
        'Seed for the plan: the same seed gives the same customers and events (random when absent, and printed)',
      min: 0,
    }),
    resume: Flags.boolean({
      description: 'Continue an unfinished run (the latest, or RUN_ID) from its journal instead of starting a new one',
    }),
    'dry-run': Flags.boolean({
      description: 'Print the plan and its cost, touch nothing (no key needed)',
      exclusive: ['resume'],
    }),
    concurrency: Flags.integer({
      description: 'Requests in flight at most, across all clocks (default 10)',
      min: 1,
      max: 100,
    }),
    rate: Flags.string({description: 'Requests per second per clock lane (default 4)'}),
    'max-rps': Flags.string({
      description:
        'Account-wide requests per second (default 20; Stripe test mode allows 25, more only makes sense against the emulator)',
    }),
    'advance-timeout': Flags.integer({
      description: 'Seconds to wait for one clock advance before giving that clock up (default 300)',
      min: 1,
    }),
    'seed-prices': Flags.boolean({description: 'Run `prices seed` first, in the same run'}),
    'keep-clocks': Flags.boolean({description: "Do not delete the test clocks of this out-dir's earlier runs"}),
  }

  async run(): Promise<RunGenerateResult> {
    const {flags, args} = await this.parse(RunGenerate)
    if (args.runId && !flags.resume)
      throw new UsageError(`Unexpected argument "${args.runId}": a run id goes with --resume`)
    if (flags.scenario === 'list') {
      const scenarios = listScenarios()
      this.say(formatScenarioList(scenarios))
      return {scenarios}
    }
    const {config: fileConfig, setInFile} = await this.loadConfig(flags)
    const config = applyOverrides(flags.scenario ? applyScenario(fileConfig, flags.scenario) : fileConfig, flags)
    let plan: Scenario | undefined
    if (!flags.resume) {
      const seed = flags.seed ?? randomSeed()
      const now = new Date()
      plan = planScenario({
        config,
        customers: config.customers,
        months: config.months,
        seed,
        startTime: simulationStart(now, config.months),
        runId: makeRunId(now, seed),
      })
      if (flags['dry-run']) {
        const estimate = estimateRun(plan, config.scheduler)
        this.say(renderScenario(plan, estimate))
        return {dryRun: true, plan, estimate}
      }
    }

    const {gateway, keySource} = this.connect(flags, config.scheduler)
    const outDir = this.outDir(flags)
    const request: RunRequest = {
      config,
      outDir,
      apiBase: flags['api-base'],
      seedPrices: flags['seed-prices'],
      keepClocks: flags['keep-clocks'],
      advanceTimeoutMs: config.advanceTimeoutSeconds * 1000,
      plan,
      ...(flags.scenario ? {scenarioName: flags.scenario} : {}),
      // A resumed run is held to the customers and months a flag or the config file names; defaults name nothing.
      ...(flags.resume
        ? {
            resume: {
              runId: args.runId,
              seed: flags.seed,
              customers: flags.customers ?? (setInFile.has('customers') ? config.customers : undefined),
              months: flags.months ?? (setInFile.has('months') ? config.months : undefined),
            },
          }
        : {}),
    }
    const claimed = await claimOutDir(request)
    let prepared: PreparedRun | undefined
    const resumeCommand = () =>
      printedResumeCommand({
        bin: this.config.bin,
        runId: (prepared?.scenario ?? plan)?.runId ?? claimed.resume?.header.run_id,
        outDir: flags['out-dir'],
        config: flags.config,
        scenario: flags.scenario,
        apiBase: flags['api-base'],
        keySource,
        stripeCliProfile: flags['stripe-cli-profile'],
      })
    const stopping = stopRunOnSignals({
      notice: (line) => this.notice(line),
      resumeCommand,
      releaseLock: () => claimed.lock.releaseSync(),
    })
    try {
      for (const notice of claimed.notices) this.notice(notice)
      // Short enough for 80 columns with any seed; on stderr with --json too (the seed is in the result as well).
      if (plan) this.notice(`run ${plan.runId} · repeat with --seed ${plan.seed}`)
      const progress = new RunProgress({seedPrices: flags['seed-prices']})
      const renderer = chooseRenderer({
        json: this.jsonEnabled(),
        isTTY: process.stderr.isTTY === true, // undefined when not a TTY, whatever the type says
        ci: Boolean(process.env.CI),
      })
      // The view shows what failed; the command reports why, once.
      const view = buildRunTasks(progress, renderer, () => gateway.counts())
        .run()
        .catch(() => {})
      try {
        prepared = await prepareRun(gateway, request, claimed, progress)
        const result = await executeRun(gateway, prepared, {progress, signal: stopping.signal})
        await view
        if (result.status === 'interrupted') {
          process.exitCode = SIGNAL_EXIT_CODES[stopping.received() ?? 'SIGINT']
          const withCommand = {...result, resumeCommand: resumeCommand()}
          this.say(renderRunResult(withCommand, config.analytics.reportingCurrency))
          return withCommand
        }
        this.say(renderRunResult(result, config.analytics.reportingCurrency))
        if (result.status === 'partial') process.exitCode = PARTIAL_RUN_EXIT_CODE
        if (result.status === 'failed') process.exitCode = FAILED_RUN_EXIT_CODE
        // A skipped month Stripe billed differently: the files are not the truth (src/run/renewal-check.ts).
        if (result.renewals && result.renewals.mismatches.length > 0) process.exitCode = FAILED_RUN_EXIT_CODE
        return result.status === 'complete' ? result : {...result, resumeCommand: resumeCommand()}
      } finally {
        progress.end()
        await view
      }
    } finally {
      stopping.dispose()
      await claimed.lock.release()
    }
  }
}

function parseRate(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const rate = Number(value)
  if (!(rate > 0 && rate <= 1000))
    throw new UsageError(`--${flag} must be a number above 0 and at most 1000, got "${value}"`)
  return rate
}

/** Flags override the config file. */
function applyOverrides(
  config: Config,
  flags: {
    customers?: number
    months?: number
    concurrency?: number
    rate?: string
    'max-rps'?: string
    'advance-timeout'?: number
  },
): Config {
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
