import {setMaxListeners} from 'node:events'

import {deleteClocks, listClocks, selectRunClocks} from '../clocks/cleanup.js'
import {ClockWatcher} from '../clocks/watcher.js'
import type Stripe from 'stripe'

import {addIntervals, monthLabel} from '../billing-time.js'
import {type Config, hasScenarioFeatures} from '../config/schema.js'
import {type LedgerFile, ledgerFile} from '../files/ledger.js'
import {buildLedger} from '../ledger/movements.js'
import {monthReading} from '../ledger/reading.js'
import {snapshotRowsFromLedger} from '../ledger/snapshot-rows.js'
import {writeLedger} from '../ledger/store.js'
import {priceLookupKey} from '../scenario/catalog.js'
import {BugError, RunInterrupted, UsageError, UserError, errorMessage} from '../errors.js'
import {writeJsonFile} from '../files/atomic.js'
import {
  type CurrentRunFile,
  CurrentRunFileSchema,
  type PricesFile,
  type RunDetailsFile,
  RunDetailsFileSchema,
  type SnapshotRow,
  SnapshotsFileSchema,
  outFile,
} from '../files/formats.js'
import type {HeldLock} from '../files/lock.js'
import {groupBy} from '../group-by.js'
import {plural} from '../render/plural.js'
import {seedPrices} from '../prices/seed.js'
import {type RunEstimate, estimateRun} from '../scenario/estimate.js'
import {type Scenario, planScenario} from '../scenario/plan.js'
import {summarizeMonths} from '../snapshots/movements.js'
import type {StripeGateway} from '../stripe/gateway.js'
import {type PipelineContext, clockName, runClock} from './clock-pipeline.js'
import {type RunRenewalCheck, checkInferredMonths} from './renewal-check.js'
import {
  type ClockState,
  clockItems,
  freshClockState,
  lastMonthRead,
  planOfPriceIn,
  replayJournal,
} from './clock-state.js'
import {damagedJournalWarning, earlierRuns, forgetCleanedRuns, readCurrentRun} from './earlier-runs.js'
import {
  Journal,
  type JournalContents,
  type RunHeader,
  configFingerprints,
  listJournals,
  readJournal,
  journalPath,
  resumeMismatch,
} from './journal.js'
import {checkCatalog, checkPrices, lockOutDir, readPrices} from './preflight.js'
import type {RunProgress} from './progress.js'

export {FAILING_CARD, GOOD_CARD, RENEWAL_SETTLE_SECONDS} from './clock-pipeline.js'

/** Idempotency keys are kept at least 24 hours (SB-5); past 23, a resume also asks Stripe. */
const KEYS_SURELY_KEPT_MS = 23 * 3600 * 1000

export interface RunRequest {
  config: Config
  outDir: string
  apiBase?: string
  seedPrices: boolean
  keepClocks: boolean
  advanceTimeoutMs: number
  /** A new run's plan; absent when resuming. */
  plan?: Scenario
  /** The named scenario the config came from (--scenario), for the lines that say what to run. */
  scenarioName?: string
  /** Continue a run from its journal: the named one, else the latest unfinished one. */
  resume?: {runId?: string; seed?: number; customers?: number; months?: number}
  now?: () => Date
}

export interface PreparedRun {
  request: RunRequest
  scenario: Scenario
  estimate: RunEstimate
  prices: PricesFile
  lock: HeldLock
  /** Lines worth telling the user before the run (a stale lock taken over, the run being resumed). */
  notices: string[]
  resume?: JournalContents
  /** The scenario's coupons as Stripe holds them: the ledger reads discounts through them (empty without coupons). */
  coupons: Map<string, Stripe.Coupon>
}

export type RunStatus = 'complete' | 'partial' | 'failed' | 'interrupted'

export interface GenerateResult {
  runId: string
  seed: number
  status: RunStatus
  resumed: boolean
  customers: number
  clocks: number
  failedClocks: Array<{clockId: string; reason: string; customerIds: string[]}>
  eventsApplied: number
  pastDue: number
  canceled: number
  mrrByMonth: Array<{month: string; mrrCents: number; subscriptions: number}>
  requests: {total: number; retries: number; rateLimited: number}
  cleanup: {deleted: number; failed: number}
  wallTimeSeconds: number
  /** How far the run got next to its plan: what an interrupted run has done, and so what is left. */
  reached: RunReach
  /** The months clocks skipped, checked against Stripe's renewal invoices: any mismatch fails the run (its files are written). */
  renewals?: RunRenewalCheck
  /** The files written, in writing order: stripe_prices.json first with --seed-prices; no run file when the run failed or was interrupted (earlier files stay). */
  files: string[]
}

export interface RunReach {
  planned: {customers: number; clocks: number; months: number}
  /** Created in Stripe so far (a failed clock's included, until a resume retries it). */
  created: {customers: number; clocks: number}
  /** Months read back, on the clock that got least far and on the one that got furthest (failed clocks left out). */
  months: {fewest: number; most: number}
}

/** What the out-dir gave the run before any request: its lock, and the journal of the run to resume. */
export interface ClaimedOutDir {
  lock: HeldLock
  resume?: JournalContents
  /** Lines worth telling the user before the run starts (a stale lock taken over, the run resumed). */
  notices: string[]
}

/**
 * The local half of preflight, no request yet: the out-dir takes files (a probe file), no other
 * live run holds it (the lock), and with --resume the run's journal is found. The caller releases
 * the lock when the command ends.
 */
export async function claimOutDir(
  request: Pick<RunRequest, 'outDir' | 'resume' | 'keepClocks'>,
): Promise<ClaimedOutDir> {
  const lock = await lockOutDir(request.outDir, 'run generate')
  try {
    const notices = lock.tookOverFrom
      ? [
          `Took over the lock of a stripe-seed process that is gone (pid ${lock.tookOverFrom.pid} on ${lock.tookOverFrom.host}, since ${lock.tookOverFrom.started_at})`,
        ]
      : []
    const resume = request.resume ? await findResumable(request.outDir, request.resume.runId) : undefined
    if (resume?.entries.some((entry) => entry.type === 'month' && entry.items === undefined)) {
      throw new UsageError(
        `Cannot resume run ${resume.header.run_id}: it was started by an earlier stripe-seed, whose journal holds no ledger rows`,
        {suggestion: "Start a new run without --resume: its cleanup deletes that run's clocks."},
      )
    }
    // This run writes current_run.json at its end: a damaged one is copied aside and named now, whatever the flags.
    const current = await readCurrentRun(request.outDir)
    if (current.warning) notices.push(current.warning)
    const listed = resume || request.keepClocks ? undefined : await listJournals(request.outDir)
    for (const damaged of listed?.damaged ?? []) notices.push(damagedJournalWarning(damaged))
    const unfinished = listed?.journals.filter((journal) => journal.saved === undefined).at(-1)
    if (unfinished)
      notices.push(
        `Run ${unfinished.header.run_id} was not finished; this new run's cleanup deletes its clocks (to continue it instead: run generate --resume ${unfinished.header.run_id})`,
      )
    if (resume)
      notices.push(
        `Resuming run ${resume.header.run_id} (seed ${resume.header.seed}, ${resume.header.customers} customers, ${resume.header.months} months, started ${resume.header.started_at})`,
      )
    return {lock, resume, notices}
  } catch (error) {
    await lock.release()
    throw error
  }
}

/**
 * The rest of preflight, before anything is deleted or created: prices are seeded if asked, and
 * every price in stripe_prices.json is on this account as the config says (the read that also
 * proves the key). A resume is refused if the config, seed or prices changed since it started.
 */
export async function prepareRun(
  gateway: StripeGateway,
  request: RunRequest,
  claimed: ClaimedOutDir,
  progress: RunProgress,
): Promise<PreparedRun> {
  const {config, outDir} = request
  const now = request.now ?? (() => new Date())
  try {
    const pricesPath = outFile(outDir, 'prices')
    if (request.seedPrices) {
      progress.start('prices')
      await seedPrices(gateway, config, {file: pricesPath, apiBase: request.apiBase, now: now()})
      progress.finish('prices')
    }
    progress.start('preflight')
    const prices = await readPrices(pricesPath)
    await checkPrices(gateway, config.plans, prices, pricesPath)
    const coupons = hasScenarioFeatures(config)
      ? await checkCatalog(gateway, config, prices, pricesPath, request.scenarioName)
      : new Map<string, Stripe.Coupon>()
    let scenario = request.plan
    const {resume} = claimed
    if (resume) {
      const {header} = resume
      const mismatch = resumeMismatch(header, {config, prices, ...request.resume})
      if (mismatch)
        throw new UsageError(`Cannot resume run ${header.run_id}: ${mismatch}`, {
          suggestion:
            'Resume with the config, seed and stripe_prices.json it started with, or start a new run without --resume.',
        })
      scenario = planScenario({
        config,
        customers: header.customers,
        months: header.months,
        seed: header.seed,
        startTime: header.start_time,
        runId: header.run_id,
      })
    }
    if (!scenario) throw new BugError('prepareRun needs a plan or a run to resume')
    const estimate = estimateRun(scenario, config.scheduler)
    progress.finish(
      'preflight',
      `seed ${scenario.seed} · ${plural(scenario.customers.length, 'customer')} on ${plural(scenario.clocks.length, 'clock')} · ${plural(scenario.months, 'month')}`,
    )
    progress.plan(scenario.months, scenario.clocks.length, estimate.seconds)
    return {request, scenario, estimate, prices, lock: claimed.lock, notices: claimed.notices, resume, coupons}
  } catch (error) {
    for (const name of ['prices', 'preflight'])
      if (progress.has(name) && progress.phase(name).state === 'running') progress.abort(name)
    progress.end()
    throw error
  }
}

/** The named run's journal, else the latest unfinished one; a finished run says so. */
async function findResumable(outDir: string, runId?: string): Promise<JournalContents> {
  if (runId) {
    const journal = await readJournal(journalPath(outDir, runId)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new UsageError(`No run ${runId} in ${outDir}: nothing to resume`, {
          suggestion: 'Run `stripe-seed run generate --resume` without a run id to continue the latest unfinished run.',
        })
      throw error
    })
    if (journal.saved === 'complete') throw new UsageError(`Run ${runId} is already complete: nothing to resume`)
    return journal
  }
  const {journals, damaged} = await listJournals(outDir)
  const latest = journals.at(-1)
  // Run ids begin with their start time: a damaged journal newer than every readable one is the run meant.
  const newerDamaged = damaged.filter((journal) => !latest || journal.runId > latest.header.run_id).at(-1)
  if (newerDamaged) await readJournal(newerDamaged.path)
  if (!latest)
    throw new UsageError(`No run to resume in ${outDir}`, {suggestion: 'Start one with `stripe-seed run generate`.'})
  if (latest.saved === 'complete')
    throw new UsageError(`The latest run in ${outDir}, ${latest.header.run_id}, is already complete: nothing to resume`)
  return latest
}

export interface ExecuteOptions {
  progress: RunProgress
  /** Aborting it stops the run: no new request, waits end, in-flight requests finish, the journal is flushed. */
  signal?: AbortSignal
  watcher?: ClockWatcher
}

/**
 * Executes a prepared run: journal, cleanup of this out-dir's earlier runs, every clock's pipeline
 * in parallel, then the files. A resumed run replays its journal and continues each clock where it
 * stood; its failed clocks are retried with a new clock. Files are replaced only by a run that
 * completed at least one clock.
 */
export async function executeRun(
  gateway: StripeGateway,
  prepared: PreparedRun,
  options: ExecuteOptions,
): Promise<GenerateResult> {
  const started = Date.now()
  const {scenario, prices, request, resume} = prepared
  const {progress} = options
  const now = request.now ?? (() => new Date())
  const watcher = options.watcher ?? new ClockWatcher(gateway)
  // One signal for every wait: the user's interrupt, or our own stop when something unexpected breaks.
  const stop = new AbortController()
  // Every waiting clock listens for it (34 at the default run, thousands at 10,000 customers): not a leak.
  setMaxListeners(0, stop.signal)
  const interrupt = () => {
    gateway.scheduler.stopNewWork()
    stop.abort()
  }
  if (options.signal?.aborted) interrupt()
  options.signal?.addEventListener('abort', interrupt, {once: true})

  const journal = resume
    ? await Journal.reopen(resume)
    : await Journal.create(request.outDir, runHeader(scenario, request, prices, now()))
  let cleanup = {deleted: 0, failed: 0}
  let states: ClockState[] = []
  /** Stopped by the user: nothing saved, and the view says so instead of ticking the run. */
  const interrupted = () => {
    progress.stop()
    return summarize(prepared, states, 'interrupted', cleanup, [], gateway, started)
  }
  try {
    progress.start('cleanup')
    if (!resume && !request.keepClocks)
      cleanup = await cleanUpEarlierRuns(gateway, watcher, request, scenario.runId, progress, stop.signal)
    progress.finish('cleanup')

    states = resume
      ? replayJournal(resume.entries, scenario.clocks.length)
      : scenario.clocks.map((clock) => freshClockState(clock.index))
    const ctx: PipelineContext = {
      gateway,
      watcher,
      journal,
      progress,
      scenario,
      prices,
      config: request.config,
      advanceTimeoutMs: request.advanceTimeoutMs,
      signal: stop.signal,
      ...scenarioTerms(prepared),
    }
    if (resume) {
      const clocks = await listClocks(gateway)
      ctx.resume = {
        clocksByName: new Map(clocks.flatMap((clock) => (clock.name ? [[clock.name, clock.id] as const] : []))),
        keysMayBePruned: Date.now() - Date.parse(resume.header.started_at) > KEYS_SURELY_KEPT_MS,
      }
      states = await retryFailedClocks(
        gateway,
        watcher,
        scenario,
        states,
        clocks,
        request.advanceTimeoutMs,
        stop.signal,
      )
      restoreProgress(progress, states)
    }

    const eventsByClock = groupBy(scenario.events, (event) => scenario.customers[event.customer]!.clock)
    let fatal: unknown
    progress.start('create')
    await Promise.all(
      scenario.clocks.map(async (clock) => {
        const state = states[clock.index]!
        if (state.failed || lastMonthRead(state) === scenario.months) return
        try {
          await runClock(ctx, clock, state, eventsByClock.get(clock.index) ?? [])
        } catch (error) {
          if (error instanceof RunInterrupted) return
          // Not Stripe's doing: stop everything rather than report it as a failed clock.
          fatal ??= error
          interrupt()
        }
      }),
    )
    await journal.flush()
    if (fatal !== undefined)
      throw fatal instanceof UserError || fatal instanceof BugError
        ? fatal
        : new BugError(`A clock's pipeline broke: ${errorMessage(fatal)}`, {cause: fatal})
    if (stop.signal.aborted) return interrupted()

    const complete = states.filter((state) => !state.failed && lastMonthRead(state) === scenario.months)
    // The months written from the plan, against what Stripe billed for them (src/run/renewal-check.ts).
    const renewals = await checkInferredMonths(gateway, complete)
    progress.start('save')
    const status = complete.length === 0 ? 'failed' : complete.length < states.length ? 'partial' : 'complete'
    // A run that completed no clock has nothing to put in the files: the earlier ones stay.
    const ledger = runLedger(prepared, states)
    const rows = snapshotRowsFromLedger(ledger.items, ledger.definitions)
    // --seed-prices wrote stripe_prices.json before the run, whatever became of it: it is named too.
    const seeded = prepared.request.seedPrices ? [outFile(prepared.request.outDir, 'prices')] : []
    const files = [
      ...seeded,
      ...(status === 'failed'
        ? []
        : await writeRunFiles(prepared, states, ledger, rows, status, gateway, started, now())),
    ]
    await journal.append({type: 'saved', status})
    // The view must not tick a save that wrote nothing.
    if (status === 'failed') progress.abort('save')
    else progress.finish('save')
    return {
      ...summarize(prepared, states, status, cleanup, files, gateway, started, rows),
      ...(renewals ? {renewals} : {}),
    }
  } catch (error) {
    if (error instanceof RunInterrupted) return interrupted()
    throw error
  } finally {
    options.signal?.removeEventListener('abort', interrupt)
    await journal.close()
    progress.end()
  }
}

function runHeader(scenario: Scenario, request: RunRequest, prices: PricesFile, now: Date): RunHeader {
  return {
    type: 'run',
    version: 1,
    run_id: scenario.runId,
    seed: scenario.seed,
    customers: scenario.customers.length,
    months: scenario.months,
    start_time: scenario.startTime,
    config: configFingerprints(request.config),
    price_ids: prices.price_ids,
    ...(request.apiBase ? {api_base: request.apiBase} : {}),
    started_at: now.toISOString(),
  }
}

/** Deletes the clocks of this out-dir's earlier runs, and only theirs (a crashed run's orphans included). */
async function cleanUpEarlierRuns(
  gateway: StripeGateway,
  watcher: ClockWatcher,
  request: RunRequest,
  runId: string,
  progress: RunProgress,
  signal: AbortSignal,
): Promise<{deleted: number; failed: number}> {
  const runs = await earlierRuns(request.outDir, runId)
  // A first run in this out-dir has nothing to clean: not even the list request.
  if (runs.runIds.size === 0 && runs.clockIds.size === 0) return {deleted: 0, failed: 0}
  const selected = selectRunClocks(await listClocks(gateway), runs)
  progress.setTotal('cleanup', selected.length)
  const result = await deleteClocks(gateway, watcher, selected, {
    advanceTimeoutMs: request.advanceTimeoutMs,
    onDeleted: () => progress.tick('cleanup'),
    signal,
  })
  const failedIds = new Set(result.failed.map((failure) => failure.id))
  await forgetCleanedRuns(
    runs,
    selected.filter((clock) => failedIds.has(clock.id)),
  )
  return {deleted: result.deleted.length, failed: result.failed.length}
}

/**
 * A failed clock gets a new clock (next attempt, new name and keys) for the same planned customers.
 * The failed clock goes first, with its customers, so the account never holds a customer twice.
 */
async function retryFailedClocks(
  gateway: StripeGateway,
  watcher: ClockWatcher,
  scenario: Scenario,
  states: ClockState[],
  clocks: Awaited<ReturnType<typeof listClocks>>,
  advanceTimeoutMs: number,
  signal: AbortSignal,
): Promise<ClockState[]> {
  const failed = states.filter((state) => state.failed)
  if (failed.length === 0) return states
  const earlierNames = new Set(
    failed.flatMap((state) =>
      Array.from({length: state.attempt}, (_, i) => clockName(scenario.clocks[state.index]!, i + 1)),
    ),
  )
  const ids = new Set(failed.flatMap((state) => (state.clockId ? [state.clockId] : [])))
  const doomed = clocks.filter((clock) => ids.has(clock.id) || (clock.name !== null && earlierNames.has(clock.name)))
  const result = await deleteClocks(gateway, watcher, doomed, {advanceTimeoutMs, signal})
  if (result.failed.length > 0)
    throw new UserError(
      `Cannot delete the failed clock ${result.failed[0]!.id} before retrying it: ${result.failed[0]!.reason}`,
    )
  return states.map((state) => (state.failed ? freshClockState(state.index, state.attempt + 1) : state))
}

/** A resumed run shows what its journal already holds as done. */
function restoreProgress(progress: RunProgress, states: ClockState[]): void {
  for (const state of states) {
    for (const {month} of state.months) progress.tick(month === 0 ? 'create' : `month ${month}`)
  }
}

const isComplete = (scenario: Scenario) => (state: ClockState) =>
  !state.failed && lastMonthRead(state) === scenario.months

/**
 * The ledger of the complete clocks, in plan order (month, then customer). A failed clock's
 * customers are left out of every file the ETL reads: half a history would read as churn.
 */
function runLedger(prepared: PreparedRun, states: ClockState[]): LedgerFile {
  const {scenario, request} = prepared
  const collected = states.filter(isComplete(scenario)).flatMap(clockItems)
  const items = collected.sort((a, b) => a.month - b.month || a.customer - b.customer).map((entry) => entry.item)
  return buildLedger(request.config.analytics, monthLabels(scenario), items)
}

/** Month k's label: the month of its boundary (a reading is a couple of hours past it). */
function monthLabels(scenario: Scenario): string[] {
  return Array.from({length: scenario.months + 1}, (_, month) =>
    monthLabel(addIntervals(scenario.startTime, 'month', month)),
  )
}

/**
 * What the pipeline needs of the scenario: each customer's price by plan, interval and currency
 * (the default prices, else the catalog's), its coupons and promotion codes, and the ledger reading.
 */
function scenarioTerms(
  prepared: PreparedRun,
): Pick<PipelineContext, 'features' | 'priceFor' | 'discountFor' | 'couponIdOf' | 'read'> {
  const {scenario, prices, request, coupons} = prepared
  const {config} = request
  const labels = monthLabels(scenario)
  const planOf = planOfPriceIn(prices)
  const planCurrency = new Map(config.plans.map((plan) => [plan.key, plan.currency]))
  const couponIdOf = (key: string) => {
    const id = prices.catalog?.coupons[key]
    if (!id) throw new BugError(`stripe_prices.json has no coupon "${key}" (checked before the run)`)
    return id
  }
  return {
    features: hasScenarioFeatures(config),
    priceFor: (customer, state) => {
      const terms = scenario.customers[customer]!.terms
      const interval = state.interval ?? terms?.interval ?? 'month'
      const own = planCurrency.get(state.plan)!
      const currency = terms?.currency ?? own
      // The original's price: stripe_seed_<plan>_monthly, the same price the catalog holds under that key.
      const id =
        interval === 'month' && currency === own
          ? prices.price_ids[state.plan]
          : prices.catalog?.prices[priceLookupKey(state.plan, interval, currency, own)]?.price_id
      if (!id)
        throw new BugError(
          `stripe_prices.json has no ${interval} price of plan "${state.plan}" in ${currency} (checked before the run)`,
        )
      return id
    },
    discountFor: (key, via) => {
      if (via === 'coupon') return {coupon: couponIdOf(key)}
      const code = config.coupons?.find((coupon) => coupon.id === key)?.promotionCode
      const id = code ? prices.catalog?.promotion_codes[code] : undefined
      if (!id)
        throw new BugError(`stripe_prices.json has no promotion code for coupon "${key}" (checked before the run)`)
      return {promotion_code: id}
    },
    couponIdOf,
    read: (subscriptions, month, at, previousAt) =>
      monthReading(subscriptions, {
        month: labels[month]!,
        at,
        previousAt,
        definitions: config.analytics,
        coupons,
        planOf: (price) => planOf(price.id),
      }),
  }
}

async function writeRunFiles(
  prepared: PreparedRun,
  states: ClockState[],
  ledger: LedgerFile,
  rows: SnapshotRow[],
  status: 'complete' | 'partial',
  gateway: StripeGateway,
  started: number,
  now: Date,
): Promise<string[]> {
  const {scenario, request} = prepared
  const failed = states.filter((state) => !isComplete(scenario)(state))
  const failedCustomers = new Set(failed.flatMap((state) => scenario.clocks[state.index]!.customers))
  const customerIds = new Map(states.flatMap((state) => [...state.customerIds]))
  const counts = gateway.counts()
  const currentRun: CurrentRunFile = {
    run_timestamp: now.toISOString(),
    customer_ids: scenario.customers
      .filter((c) => !failedCustomers.has(c.index))
      .map((c) => customerIds.get(c.index))
      .filter((id): id is string => id !== undefined),
    clock_ids: states
      .filter((state) => !failed.includes(state))
      .map((state) => state.clockId)
      .filter((id): id is string => id !== undefined),
    run_id: scenario.runId,
    seed: scenario.seed,
    months: scenario.months,
    start_time: new Date(scenario.startTime * 1000).toISOString(),
    ...(request.apiBase ? {api_base: request.apiBase} : {}),
    status,
    plan_summary: {
      customers: scenario.customers.length,
      clocks: scenario.clocks.length,
      plans: scenario.distribution,
      events: scenario.eventCounts,
    },
    failed_clocks: failedClocks(scenario, failed).map((f) => ({
      clock_id: f.clockId,
      reason: f.reason,
      customer_ids: f.customerIds,
    })),
    requests: {total: counts.sent, retries: counts.retries, rate_limited: counts.rateLimited},
    wall_time_seconds: (Date.now() - started) / 1000,
  }
  const details: RunDetailsFile = {
    run_id: scenario.runId,
    clocks: states.map((state) => ({
      clock_id: state.clockId ?? '',
      name: clockName(scenario.clocks[state.index]!, state.attempt),
      status: failed.includes(state) ? 'failed' : 'complete',
      customers: scenario.clocks[state.index]!.customers.filter((c) => state.customerIds.has(c)).map((c) => ({
        index: c,
        customer_id: state.customerIds.get(c)!,
        subscription_id: state.created.get(c)?.id ?? '',
      })),
    })),
    events: states
      .flatMap((state) =>
        state.applied.map((event) => ({
          month: event.month,
          customer_index: event.customer,
          customer_id: state.customerIds.get(event.customer)!,
          kind: event.kind,
          detail: event.detail,
        })),
      )
      .sort((a, b) => a.month - b.month || a.customer_index - b.customer_index),
    ended_subscriptions: states
      .flatMap((state) => state.ended)
      .sort((a, b) => a.month.localeCompare(b.month) || a.customer_id.localeCompare(b.customer_id)),
  }
  const files = [
    outFile(request.outDir, 'currentRun'),
    outFile(request.outDir, 'runDetails'),
    ledgerFile(request.outDir),
    outFile(request.outDir, 'snapshots'),
  ]
  // Snapshots last: the other files describe them, and a reader that sees them sees a finished run.
  await writeJsonFile(files[0]!, CurrentRunFileSchema, currentRun)
  await writeJsonFile(files[1]!, RunDetailsFileSchema, details)
  await writeLedger(request.outDir, ledger)
  await writeJsonFile(files[3]!, SnapshotsFileSchema, rows)
  return files
}

function failedClocks(scenario: Scenario, failed: ClockState[]): GenerateResult['failedClocks'] {
  return failed.map((state) => ({
    clockId: state.clockId ?? `(not created: ${clockName(scenario.clocks[state.index]!, state.attempt)})`,
    reason: state.failed ?? 'unfinished',
    customerIds: scenario.clocks[state.index]!.customers.map((c) => state.customerIds.get(c)).filter(
      (id): id is string => id !== undefined,
    ),
  }))
}

function summarize(
  prepared: PreparedRun,
  states: ClockState[],
  status: RunStatus,
  cleanup: GenerateResult['cleanup'],
  files: string[],
  gateway: StripeGateway,
  started: number,
  rows?: SnapshotRow[],
): GenerateResult {
  rows ??= snapshotRowsOrNone(runLedger(prepared, states))
  const {scenario} = prepared
  const complete = states.filter(isComplete(scenario))
  const summaries = summarizeMonths(rows)
  const counts = gateway.counts()
  return {
    runId: scenario.runId,
    seed: scenario.seed,
    status,
    resumed: prepared.resume !== undefined,
    customers: complete.reduce((sum, state) => sum + state.customerIds.size, 0),
    clocks: complete.length,
    failedClocks: failedClocks(
      scenario,
      states.filter((state) => state.failed),
    ),
    eventsApplied: states.reduce((sum, state) => sum + state.applied.length, 0),
    pastDue: summaries.at(-1)?.pastDue ?? 0,
    canceled: states.reduce((sum, state) => sum + state.ended.length, 0),
    mrrByMonth: summaries.map((s) => ({month: s.month, mrrCents: s.mrrCents, subscriptions: s.active + s.pastDue})),
    requests: {total: counts.sent, retries: counts.retries, rateLimited: counts.rateLimited},
    cleanup,
    wallTimeSeconds: (Date.now() - started) / 1000,
    reached: reach(scenario, states),
    files,
  }
}

function reach(scenario: Scenario, states: ClockState[]): RunReach {
  const going = states.filter((state) => !state.failed).map((state) => Math.max(0, lastMonthRead(state)))
  return {
    planned: {customers: scenario.customers.length, clocks: scenario.clocks.length, months: scenario.months},
    created: {
      customers: states.reduce((sum, state) => sum + state.customerIds.size, 0),
      clocks: states.filter((state) => state.clockId !== undefined).length,
    },
    months: {fewest: going.length > 0 ? Math.min(...going) : 0, most: going.length > 0 ? Math.max(...going) : 0},
  }
}

/** An interrupted run's summary rows; without fxRates for a currency there are none (the save says why). */
function snapshotRowsOrNone(ledger: LedgerFile): SnapshotRow[] {
  try {
    return snapshotRowsFromLedger(ledger.items, ledger.definitions)
  } catch (error) {
    if (error instanceof UserError) return []
    throw error
  }
}
