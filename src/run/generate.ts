import type Stripe from 'stripe'

import {HOUR, addIntervals, monthLabel} from '../billing-time.js'
import {deleteClocks, isSeedClock, listClocks} from '../clocks/cleanup.js'
import type {Config} from '../config/schema.js'
import {UserError, errorMessage} from '../errors.js'
import {groupBy} from '../group-by.js'
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
import type {PlannedClock, PlannedEvent, Scenario} from '../scenario/plan.js'
import {summarizeMonths} from '../snapshots/movements.js'
import type {StripeGateway} from '../stripe/gateway.js'
import {after, listAll} from '../stripe/pagination.js'
import {ClockWatcher} from '../clocks/watcher.js'
import {RunProgress} from './progress.js'

/** The card whose charges always fail once attached (stripe-facts #24). */
export const FAILING_CARD = 'pm_card_chargeCustomerFail'
export const GOOD_CARD = 'pm_card_visa'
/** Renewal invoices stay draft about an hour (#31); we pass that hour and one more for safety. */
export const RENEWAL_SETTLE_SECONDS = 2 * HOUR

export interface GenerateOptions {
  scenario: Scenario
  prices: PricesFile
  config: Config
  outDir: string
  keepClocks: boolean
  advanceTimeoutMs: number
  apiBase?: string
  now?: () => Date
  watcher?: ClockWatcher
  progress?: RunProgress
}

export interface ClockOutcome {
  clock: PlannedClock
  clockId?: string
  status: 'complete' | 'failed'
  reason?: string
  customerIds: Map<number, string>
  subscriptionIds: Map<number, string>
}

export interface GenerateResult {
  runId: string
  seed: number
  status: 'complete' | 'partial'
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
  files: {currentRun: string; snapshots: string; details: string}
}

/** A subscription as the run tracks it between months: what the next update needs. */
interface TrackedSubscription {
  id: string
  itemId: string
  periodEnd: number
  status: Stripe.Subscription.Status
}

/**
 * Executes a plan against Stripe. Each clock runs its whole life (create, then month after month:
 * advance, wait, apply events, read back) on its own lane, so a slow clock never holds others back.
 * Every write has an idempotency key made of run id + clock + month + customer + action, so each
 * step is a unit a retry or a resumed run can repeat safely.
 */
export async function generateRun(gateway: StripeGateway, options: GenerateOptions): Promise<GenerateResult> {
  const started = Date.now()
  const {scenario} = options
  const missing = scenario.plans.filter((plan) => !options.prices.price_ids[plan.key])
  if (missing.length > 0) {
    throw new UserError(`stripe_prices.json has no price for plan ${missing.map((plan) => `"${plan.key}"`).join(', ')}`, {suggestion: 'Run `stripe-seed prices seed` with the same config, or pass --seed-prices.'})
  }
  const progress = options.progress ?? new RunProgress(scenario.months, scenario.clocks.length)
  const watcher = options.watcher ?? new ClockWatcher(gateway)
  const now = options.now ?? (() => new Date())

  progress.start('cleanup')
  let cleanup = {deleted: 0, failed: 0}
  if (!options.keepClocks) {
    const ours = (await listClocks(gateway)).filter(isSeedClock)
    progress.setTotal('cleanup', ours.length)
    const result = await deleteClocks(gateway, watcher, ours, {advanceTimeoutMs: options.advanceTimeoutMs, onDeleted: () => progress.tick('cleanup')})
    cleanup = {deleted: result.deleted.length, failed: result.failed.length}
  }
  progress.finish('cleanup')

  // month -> customer index -> row; canceled subscriptions kept apart for the details file
  const rows = new Map<number, Map<number, SnapshotRow>>()
  const ended: RunDetailsFile['ended_subscriptions'] = []
  const applied: RunDetailsFile['events'] = []
  const eventsByClock = groupBy(scenario.events, (event) => scenario.customers[event.customer]!.clock)

  progress.start('create')
  const outcomes = await Promise.all(
    scenario.clocks.map((clock) =>
      runClock(gateway, watcher, progress, options, clock, eventsByClock.get(clock.index) ?? [], {
        record: (month, customer, row) => {
          let monthRows = rows.get(month)
          if (!monthRows) rows.set(month, (monthRows = new Map()))
          monthRows.set(customer, row)
        },
        ended: (entry) => ended.push(entry),
        applied: (entry) => applied.push(entry),
      }),
    ),
  )
  progress.start('save')

  const failed = outcomes.filter((o) => o.status === 'failed')
  const failedCustomers = new Set(failed.flatMap((o) => o.clock.customers))
  // A failed clock's customers are left out of every file the ETL reads: half a history would read as churn.
  const snapshotRows: SnapshotRow[] = []
  for (let month = 0; month <= scenario.months; month++) {
    const monthRows = rows.get(month) ?? new Map<number, SnapshotRow>()
    for (const customer of [...monthRows.keys()].sort((a, b) => a - b)) if (!failedCustomers.has(customer)) snapshotRows.push(monthRows.get(customer)!)
  }
  const customerIds = new Map<number, string>()
  for (const outcome of outcomes) for (const [index, id] of outcome.customerIds) customerIds.set(index, id)
  const completeOutcomes = outcomes.filter((o) => o.status === 'complete')
  const counts = gateway.counts()
  const status = failed.length > 0 ? 'partial' : 'complete'
  const failedClocks = failed.map((o) => ({clockId: o.clockId ?? `(not created: ${o.clock.name})`, reason: o.reason ?? 'unknown', customerIds: o.clock.customers.map((c) => customerIds.get(c)).filter((id): id is string => id !== undefined)}))
  const wallTimeSeconds = (Date.now() - started) / 1000
  const files = {currentRun: outFile(options.outDir, 'currentRun'), snapshots: outFile(options.outDir, 'snapshots'), details: outFile(options.outDir, 'runDetails')}

  const currentRun: CurrentRunFile = {
    run_timestamp: now().toISOString(),
    customer_ids: scenario.customers.filter((c) => !failedCustomers.has(c.index)).map((c) => customerIds.get(c.index)).filter((id): id is string => id !== undefined),
    clock_ids: completeOutcomes.map((o) => o.clockId).filter((id): id is string => id !== undefined),
    run_id: scenario.runId,
    seed: scenario.seed,
    months: scenario.months,
    start_time: new Date(scenario.startTime * 1000).toISOString(),
    ...(options.apiBase ? {api_base: options.apiBase} : {}),
    status,
    plan_summary: {customers: scenario.customers.length, clocks: scenario.clocks.length, plans: scenario.distribution, events: scenario.eventCounts},
    failed_clocks: failedClocks.map((f) => ({clock_id: f.clockId, reason: f.reason, customer_ids: f.customerIds})),
    requests: {total: counts.sent, retries: counts.retries, rate_limited: counts.rateLimited},
    wall_time_seconds: wallTimeSeconds,
  }
  const details: RunDetailsFile = {
    run_id: scenario.runId,
    clocks: outcomes.map((o) => ({
      clock_id: o.clockId ?? '',
      name: o.clock.name,
      status: o.status,
      customers: o.clock.customers.filter((c) => o.customerIds.has(c)).map((c) => ({index: c, customer_id: o.customerIds.get(c)!, subscription_id: o.subscriptionIds.get(c) ?? ''})),
    })),
    events: applied.sort((a, b) => a.month - b.month || a.customer_index - b.customer_index),
    ended_subscriptions: ended.sort((a, b) => a.month.localeCompare(b.month) || a.customer_id.localeCompare(b.customer_id)),
  }
  // Snapshots last: the other files describe them, and a reader that sees them sees a finished run.
  await writeJsonFile(files.currentRun, CurrentRunFileSchema, currentRun)
  await writeJsonFile(files.details, RunDetailsFileSchema, details)
  await writeJsonFile(files.snapshots, SnapshotsFileSchema, snapshotRows)
  progress.finish('save')

  const summaries = summarizeMonths(snapshotRows)
  return {
    runId: scenario.runId,
    seed: scenario.seed,
    status,
    customers: currentRun.customer_ids.length,
    clocks: currentRun.clock_ids.length,
    failedClocks,
    eventsApplied: applied.length,
    pastDue: summaries.at(-1)?.pastDue ?? 0,
    canceled: ended.length,
    mrrByMonth: summaries.map((s) => ({month: s.month, mrrCents: s.mrrCents, subscriptions: s.active + s.pastDue})),
    requests: {total: currentRun.requests.total, retries: currentRun.requests.retries, rateLimited: currentRun.requests.rate_limited},
    cleanup,
    wallTimeSeconds,
    files,
  }
}

interface Sinks {
  record: (month: number, customer: number, row: SnapshotRow) => void
  ended: (entry: RunDetailsFile['ended_subscriptions'][number]) => void
  applied: (entry: RunDetailsFile['events'][number]) => void
}

async function runClock(
  gateway: StripeGateway,
  watcher: ClockWatcher,
  progress: RunProgress,
  options: GenerateOptions,
  clock: PlannedClock,
  events: PlannedEvent[],
  sinks: Sinks,
): Promise<ClockOutcome> {
  const {scenario, prices, config} = options
  const lane = `clock:${clock.index}`
  const key = (month: number, customer: number | '-', action: string) => `stripe-seed:${scenario.runId}:c${clock.index}:m${month}:u${customer}:${action}`
  const outcome: ClockOutcome = {clock, status: 'complete', customerIds: new Map(), subscriptionIds: new Map()}
  const subs = new Map<number, TrackedSubscription>()
  const planOfPrice = new Map(prices.plans.map((plan) => [plan.price_id, plan.key]))
  const canonicalPriceId = new Map(prices.plans.map((plan) => [plan.price_id, plan.price_id]))
  const customerOfStripeId = new Map<string, number>()
  const endedSeen = new Set<string>()
  let month = 0
  let frozenTime = scenario.startTime

  const record = (subscriptions: SubscriptionState[], label: string) => {
    for (const sub of subscriptions) {
      const customer = customerOfStripeId.get(sub.customerId)
      if (customer === undefined) continue
      subs.set(customer, {id: sub.id, itemId: sub.itemId, periodEnd: sub.periodEnd, status: sub.status})
      // Only active and past_due count as MRR (#33); anything else has churned, and is noted once.
      if (sub.status !== 'active' && sub.status !== 'past_due') {
        if (!endedSeen.has(sub.id)) sinks.ended({month: label, customer_id: sub.customerId, subscription_id: sub.id, status: sub.status})
        endedSeen.add(sub.id)
        continue
      }
      // Ids as strings we already hold, not the fresh copies each response parsed: 70,000 rows at 10,000 customers.
      const knownSubscription = outcome.subscriptionIds.get(customer)
      sinks.record(month, customer, {
        month: label,
        customer_id: outcome.customerIds.get(customer) ?? sub.customerId,
        subscription_id: knownSubscription === sub.id ? knownSubscription : sub.id,
        plan: planOfPrice.get(sub.priceId) ?? sub.planHint ?? 'unknown',
        price_id: canonicalPriceId.get(sub.priceId) ?? sub.priceId,
        price_amount: sub.unitAmount,
        screens: sub.quantity,
        mrr_cents: sub.unitAmount * sub.quantity,
        status: sub.status === 'past_due' ? 'past_due' : 'active',
      })
    }
  }

  try {
    // Every step resolves to plain data before this long-lived frame sees it (see SubscriptionState).
    const clockId = await gateway
      .write(lane, key(0, '-', 'clock'), (stripe, opts) => stripe.testHelpers.testClocks.create({frozen_time: scenario.startTime, name: clock.name}, opts), 0)
      .then((created) => created.id)
    outcome.clockId = clockId
    const subscriptions: SubscriptionState[] = []
    for (const index of clock.customers) {
      const planned = scenario.customers[index]!
      const customerId = await gateway.write(lane, key(0, index, 'customer'), (stripe, opts) =>
        stripe.customers.create(
          {
            name: planned.identity.company,
            email: planned.identity.email,
            description: `Contact: ${planned.identity.contactName}`,
            metadata: {...planned.metadata, contact_name: planned.identity.contactName},
            test_clock: clockId,
            // The token named twice is one card, attached and made the invoice default (#23).
            payment_method: GOOD_CARD,
            invoice_settings: {default_payment_method: GOOD_CARD},
          },
          opts,
        ).then((customer) => customer.id),
        0,
      )
      outcome.customerIds.set(index, customerId)
      customerOfStripeId.set(customerId, index)
      const subscription = await gateway.write(lane, key(0, index, 'subscription'), (stripe, opts) =>
        stripe.subscriptions.create(
          {
            customer: customerId,
            items: [{price: priceOf(prices, planned.plan), quantity: planned.screens}],
            metadata: planned.metadata,
          },
          opts,
        ).then(toState),
        0,
      )
      outcome.subscriptionIds.set(index, subscription.id)
      subscriptions.push(subscription)
    }
    record(subscriptions, monthLabel(scenario.startTime))
    progress.tick('create')

    for (month = 1; month <= scenario.months; month++) {
      const monthEvents = events.filter((event) => event.month === month)
      // Past-due: the failing card becomes the default before this month's renewal (#24, #27).
      for (const event of monthEvents.filter((e) => e.kind === 'past_due')) {
        const customerId = outcome.customerIds.get(event.customer)!
        const cardId = await gateway.write(lane, key(month, event.customer, 'attach-failing-card'), (stripe, opts) => stripe.paymentMethods.attach(FAILING_CARD, {customer: customerId}, opts).then((card) => card.id), month)
        await gateway.write(lane, key(month, event.customer, 'default-failing-card'), (stripe, opts) =>
          stripe.customers.update(customerId, {invoice_settings: {default_payment_method: cardId}}, opts).then(() => undefined),
          month,
        )
        sinks.applied({month, customer_index: event.customer, customer_id: customerId, kind: 'past_due', detail: `default card → ${FAILING_CARD} (${cardId})`})
      }
      // Past every renewal of this month, and the hour its invoice stays draft (#31). A free→paid
      // change moved its subscription's anchor (#29), so each subscription's own period end counts.
      const live = [...subs.values()].filter((s) => s.status === 'active' || s.status === 'past_due')
      const target = Math.max(addIntervals(scenario.startTime, 'month', month), ...live.map((s) => s.periodEnd)) + RENEWAL_SETTLE_SECONDS
      progress.start(`month ${month}`)
      await gateway.write(lane, key(month, '-', 'advance'), (stripe, opts) => stripe.testHelpers.testClocks.advance(clockId, {frozen_time: target}, opts).then(() => undefined), month)
      frozenTime = (await watcher.waitUntilReady(clockId, target, options.advanceTimeoutMs)).frozenTime

      for (const event of monthEvents.filter((e) => e.kind !== 'past_due')) {
        const sub = subs.get(event.customer)
        const customerId = outcome.customerIds.get(event.customer)!
        if (!sub || (sub.status !== 'active' && sub.status !== 'past_due')) continue // Stripe already ended it
        if (event.kind === 'cancel') {
          const status = await gateway.write(lane, key(month, event.customer, 'cancel'), (stripe, opts) => stripe.subscriptions.cancel(sub.id, {}, opts).then((canceled) => canceled.status), month)
          subs.set(event.customer, {...sub, status})
          sinks.applied({month, customer_index: event.customer, customer_id: customerId, kind: 'cancel', detail: `${event.from.plan} × ${event.from.screens} canceled`})
          continue
        }
        const to = event.to!
        // Update the existing item by id: without it Stripe would add a second item (#28).
        const updated = await gateway.write(lane, key(month, event.customer, event.kind), (stripe, opts) =>
          stripe.subscriptions.update(sub.id, {items: [{id: sub.itemId, price: priceOf(prices, to.plan), quantity: to.screens}], proration_behavior: config.prorationBehavior}, opts).then(toState),
          month,
        )
        subs.set(event.customer, {...sub, periodEnd: updated.periodEnd, status: updated.status})
        sinks.applied({month, customer_index: event.customer, customer_id: customerId, kind: event.kind, detail: `${event.from.plan} × ${event.from.screens} → ${to.plan} × ${to.screens}`})
      }

      // The snapshot is what Stripe says, not what we meant (#10: the clock must be named).
      const listed = await listClockSubscriptions(gateway, lane, clockId, month)
      record(listed, monthLabel(frozenTime))
      progress.tick(`month ${month}`)
    }
  } catch (error) {
    outcome.status = 'failed'
    outcome.reason = errorMessage(error)
    progress.fail(month === 0 ? 'create' : `month ${month}`, clock.name)
  }
  return outcome
}

/**
 * What the run keeps of a subscription between months. Never the SDK object itself: stripe-node
 * hangs the raw HTTP response on every object (`lastResponse`), so keeping objects for a run's
 * lifetime would keep every response, and memory would grow with the number of customers.
 */
interface SubscriptionState {
  id: string
  customerId: string
  itemId: string
  priceId: string
  unitAmount: number
  quantity: number
  periodEnd: number
  status: Stripe.Subscription.Status
  planHint?: string
}

function toState(sub: Stripe.Subscription): SubscriptionState {
  const item = sub.items.data[0]
  if (!item) throw new Error(`Subscription ${sub.id} has no items`)
  return {
    id: sub.id,
    customerId: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
    itemId: item.id,
    priceId: item.price.id,
    unitAmount: item.price.unit_amount ?? 0,
    quantity: item.quantity ?? 1,
    periodEnd: item.current_period_end,
    status: sub.status,
    planHint: item.price.metadata.stripe_seed_plan,
  }
}

function listClockSubscriptions(gateway: StripeGateway, lane: string, clockId: string, priority: number): Promise<SubscriptionState[]> {
  return listAll((startingAfter) => gateway.read(lane, (stripe) => stripe.subscriptions.list({test_clock: clockId, status: 'all', limit: 100, ...after(startingAfter)}), priority), toState)
}

function priceOf(prices: PricesFile, plan: string): string {
  const id = prices.price_ids[plan]
  if (!id) throw new Error(`stripe_prices.json has no price for plan "${plan}"`)
  return id
}
