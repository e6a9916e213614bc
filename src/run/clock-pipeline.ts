import Stripe from 'stripe'

import {HOUR, addIntervals, monthLabel} from '../billing-time.js'
import {ClockFailure, type ClockWatcher} from '../clocks/watcher.js'
import type {Config} from '../config/schema.js'
import {BugError, RunInterrupted, errorMessage} from '../errors.js'
import type {PricesFile} from '../files/formats.js'
import type {LedgerItemRow} from '../files/ledger.js'
import {LEDGER_SUBSCRIPTION_EXPAND} from '../ledger/reading.js'
import {latestRenewal} from '../ledger/renewals.js'
import {addonLookupKey} from '../scenario/catalog.js'
import {customerStopMonths, freePlans, stopsFor} from '../scenario/clock-stops.js'
import type {PlanState, PlannedClock, PlannedEvent, Scenario} from '../scenario/plan.js'
import type {StripeGateway} from '../stripe/gateway.js'
import {after, listAll} from '../stripe/pagination.js'
import {type ClockState, applyEntry, eventKey, isActive, lastMonthRead} from './clock-state.js'
import type {ClockStep, Journal, SubscriptionState} from './journal.js'
import {type ClockPhase, type RunProgress, phaseName} from './progress.js'

/** The card whose charges always fail once attached (SB-23). */
export const FAILING_CARD = 'pm_card_chargeCustomerFail'
const FAILING_CARD_LAST4 = '0341'
export const GOOD_CARD = 'pm_card_visa'
/** Renewal invoices stay draft about an hour (SB-32); we pass that hour and one more for safety. */
export const RENEWAL_SETTLE_SECONDS = 2 * HOUR

export interface PipelineContext {
  gateway: StripeGateway
  watcher: ClockWatcher
  journal: Journal
  progress: RunProgress
  scenario: Scenario
  prices: PricesFile
  config: Config
  advanceTimeoutMs: number
  signal: AbortSignal
  /** The plan has scenario features (src/scenario/README.md); false for the original's run. */
  features: boolean
  /** The price a customer pays for a plan state: its interval (default its terms') and its currency (src/scenario/catalog.ts). */
  priceFor: (customer: number, state: PlanState) => string
  /** A subscription's `discounts` entry for a config coupon, as a coupon or through its promotion code. */
  discountFor: (couponKey: string, via: 'coupon' | 'promotion_code') => Stripe.SubscriptionCreateParams.Discount
  couponIdOf: (couponKey: string) => string
  /** The ledger rows of subscriptions read at `at` (src/ledger/reading.ts). */
  read: (
    subscriptions: readonly Stripe.Subscription[],
    month: number,
    at: number,
    previousAt?: number,
  ) => LedgerItemRow[]
  /**
   * Set on a resumed run: the step in flight when it stopped may have happened without being
   * journaled, so Stripe is asked before anything is created again.
   */
  resume?: {
    /** Clocks in the account by name: a clock created but not journaled is adopted, not created twice. */
    clocksByName: Map<string, string>
    /** Idempotency keys may be pruned after 24 hours (SB-5): then objects are looked for in Stripe too. */
    keysMayBePruned: boolean
  }
}

/** A failure of this clock in Stripe (after every retry): the clock is given up, the run goes on. */
export function isClockFailure(error: unknown): boolean {
  return error instanceof ClockFailure || error instanceof Stripe.errors.StripeError
}

export function clockName(clock: PlannedClock, attempt: number): string {
  return attempt > 1 ? `${clock.name}:r${attempt}` : clock.name
}

/**
 * One clock's whole life on its own lane: create it with its customers and subscriptions, then
 * from stop to stop advance, wait, apply events, read back; the months between two stops are
 * written from the plan (src/scenario/clock-stops.ts) and checked later against the renewal
 * invoices Stripe made for them (src/run/renewal-check.ts). Every step is journaled as it
 * completes and applied to the clock's state through the same entry, so a resumed run continues
 * from exactly what the journal says. Every write's idempotency key is made of run id + clock +
 * attempt + month + customer + action, so a retried or resumed step cannot create a second object.
 * Returns when the clock is done or given up; rethrows interrupts and anything that is not Stripe's.
 */
export async function runClock(
  ctx: PipelineContext,
  clock: PlannedClock,
  state: ClockState,
  events: PlannedEvent[],
): Promise<ClockState> {
  const stopMonths = clockStops(ctx, clock, events)
  const run = new ClockRun(ctx, clock, state, stopMonths)
  const months = ctx.scenario.months
  const stops = new Set(stopMonths)
  let phase: ClockPhase = 'create'
  try {
    if (lastMonthRead(state) < 0) await createPhase(run)
    for (let month = lastMonthRead(state) + 1; month <= months; month++) {
      phase = {month}
      // A month between stops is written at the next stop, from the one before it.
      if (stops.has(month)) await monthPhase(run, month, events)
    }
  } catch (error) {
    if (error instanceof RunInterrupted || !isClockFailure(error)) throw error
    await run.commit({type: 'clock_failed', reason: errorMessage(error)})
    ctx.progress.fail(phaseName(phase), clock.name)
  }
  return state
}

/** The months a clock stops at: where its customers' events need it, within Stripe's advance limit. */
export function clockStops(
  ctx: Pick<PipelineContext, 'scenario' | 'config' | 'features'>,
  clock: PlannedClock,
  events: readonly PlannedEvent[],
): number[] {
  const {months} = ctx.scenario
  // A scenario's subscriptions change on their own (trials, discounts ending, yearly renewals): every month is read.
  if (ctx.features || ctx.config.clockStops === 'monthly') return stopsFor([], months, 'monthly')
  const mine = new Set(clock.customers)
  return stopsFor(
    customerStopMonths(
      events.filter((event) => mine.has(event.customer)),
      months,
      freePlans(ctx.scenario.plans),
    ),
    months,
  )
}

/**
 * One clock's lane, journal and resume checks. A resumed run's first phase may find its step done
 * in Stripe without a journal line (the step in flight when the run stopped): `checking` says so,
 * once, and `step` holds every such check, so the phases read as the steps they take.
 */
class ClockRun {
  readonly lane: string
  private resuming: boolean

  constructor(
    readonly ctx: PipelineContext,
    readonly clock: PlannedClock,
    readonly state: ClockState,
    readonly stops: readonly number[],
  ) {
    this.lane = `clock:${clock.index}`
    this.resuming = ctx.resume !== undefined
  }

  /**
   * The scheduler's order for this clock's requests at `month` (0: creation): the clock with the most
   * stops still ahead goes first, so the longest chains start earliest. Month by month this is the
   * month itself, as before.
   */
  priority(month: number): number {
    const ahead = this.stops.filter((stop) => stop >= Math.max(1, month)).length + (month === 0 ? 1 : 0)
    return this.ctx.scenario.months + 1 - ahead
  }

  get attempt(): number {
    return this.state.attempt
  }

  /** Whether this phase must ask Stripe before repeating a step (the first phase after a resume); later ones run as usual. */
  beginPhase(): boolean {
    const checking = this.resuming
    this.resuming = false
    return checking
  }

  key(month: number, customer: number | '-', action: string): string {
    const attempt = this.attempt
    return `stripe-seed:${this.ctx.scenario.runId}:c${this.clock.index}${attempt > 1 ? `:a${attempt}` : ''}:m${month}:u${customer}:${action}`
  }

  async commit(step: ClockStep): Promise<void> {
    const entry = {...step, clock: this.clock.index, attempt: this.attempt}
    await this.ctx.journal.append(entry)
    applyEntry(this.state, entry)
  }

  /**
   * One journaled step: skipped when the journal has it; else what Stripe already holds (`found`,
   * asked only when checking after a resume), or the request; then journaled.
   */
  async step<T>(options: {
    done: boolean
    checking: boolean
    found?: () => Promise<T | undefined> | T | undefined
    send: () => Promise<T>
    entry: (result: T) => ClockStep
  }): Promise<void> {
    if (options.done) return
    const found = options.checking && options.found ? await options.found() : undefined
    const result = found ?? (await options.send())
    await this.commit(options.entry(result))
  }
}

/** Creation: the clock, then each customer and its first subscription, then month 0 as created. */
async function createPhase(run: ClockRun): Promise<void> {
  const {ctx, clock, state} = run
  const {scenario, gateway} = ctx
  const checking = run.beginPhase()
  const name = clockName(clock, run.attempt)
  await run.step({
    done: state.clockId !== undefined,
    checking,
    found: () => ctx.resume?.clocksByName.get(name),
    send: () =>
      gateway.write<string>(
        run.lane,
        run.key(0, '-', 'clock'),
        (stripe, opts) =>
          stripe.testHelpers.testClocks
            .create({frozen_time: scenario.startTime, name}, opts)
            .then((created) => created.id),
        run.priority(0),
      ),
    entry: (clockId) => ({type: 'clock', clock_id: clockId}),
  })
  const clockId = state.clockId!
  const missing = clock.customers.some((c) => !state.created.has(c))
  const found =
    checking && missing ? await findClockObjects(ctx, run.lane, clockId, ctx.resume!.keysMayBePruned) : undefined
  for (const index of clock.customers) {
    const planned = scenario.customers[index]!
    // A stopping trial's customer has no card: Stripe cancels its subscription at the trial's end (SB-50).
    const card =
      planned.terms?.paymentMethod === false
        ? {}
        : {payment_method: GOOD_CARD, invoice_settings: {default_payment_method: GOOD_CARD}}
    await run.step({
      done: state.customerIds.has(index),
      checking: found !== undefined,
      found: () => found?.customers.get(index),
      send: () =>
        gateway.write<string>(
          run.lane,
          run.key(0, index, 'customer'),
          (stripe, opts) =>
            stripe.customers
              .create(
                {
                  name: planned.identity.company,
                  email: planned.identity.email,
                  description: `Contact: ${planned.identity.contactName}`,
                  metadata: {...planned.metadata, contact_name: planned.identity.contactName},
                  test_clock: clockId,
                  // The token named twice is one card, attached and made the invoice default (SB-22).
                  ...card,
                },
                opts,
              )
              .then((customer) => customer.id),
          run.priority(0),
        ),
      entry: (customerId) => ({type: 'customer', customer: index, customer_id: customerId}),
    })
    const customerId = state.customerIds.get(index)!
    await run.step({
      done: state.created.has(index),
      checking: found !== undefined,
      found: () => found?.subscriptions.get(customerId),
      send: () =>
        gateway.write<{state: SubscriptionState; items: LedgerItemRow[]}>(
          run.lane,
          run.key(0, index, 'subscription'),
          (stripe, opts) =>
            stripe.subscriptions
              .create(subscriptionParams(ctx, planned, customerId), opts)
              .then((sub) => ({state: toState(sub), items: ctx.read([sub], 0, scenario.startTime)})),
          run.priority(0),
        ),
      entry: (created) => ({type: 'subscription', customer: index, subscription: created.state, items: created.items}),
    })
  }
  await run.commit({
    type: 'month',
    month: 0,
    frozen_time: scenario.startTime,
    subscriptions: clock.customers.map((c) => state.created.get(c)!),
    items: clock.customers.flatMap((c) => state.createdItems.get(c) ?? []),
  })
  ctx.progress.tick(phaseName('create'))
}

/**
 * A stop at `month`: timed events at their times, past-due cards, the advance past the month's
 * renewals, the month's base events, the reading; then the months skipped since the last stop are
 * written, before the month read, so the months stay in order.
 */
async function monthPhase(run: ClockRun, month: number, events: readonly PlannedEvent[]): Promise<void> {
  const {ctx, state} = run
  const checking = run.beginPhase()
  const clockId = state.clockId!
  const monthEvents = events.filter((event) => event.month === month)
  const done = (event: PlannedEvent) => state.eventsDone.has(eventKey(month, event.customer, event.kind))

  await timedEvents(run, month, monthEvents, checking)
  await pastDueCards(
    run,
    month,
    monthEvents.filter((e) => e.kind === 'past_due' && !done(e)),
    checking,
  )
  const target = await advancePast(run, month, checking)
  const {frozenTime} = await ctx.watcher.waitUntilReady(clockId, target, ctx.advanceTimeoutMs, ctx.signal)
  await baseEvents(
    run,
    month,
    monthEvents.filter((e) => e.at === undefined && e.kind !== 'past_due' && !done(e)),
    checking,
  )

  // The month is what Stripe says, not what we meant (SB-16: the clock must be named). After
  // skipped months the same listing brings each subscription's latest invoice: this month's
  // renewal, which confirms the month before it (SB-R2, SB-R4), so no invoice listing is needed later.
  const afterSkipped = lastMonthRead(state) + 1 < month
  const listed = await listClockSubscriptions(ctx, run.lane, clockId, run.priority(month), afterSkipped)
  const previous = state.months.at(-1)
  for (let skipped = lastMonthRead(state) + 1; skipped < month; skipped++) await writeSkippedMonth(run, skipped)
  await run.commit({
    type: 'month',
    month,
    frozen_time: frozenTime,
    subscriptions: listed.map(toState),
    items: ctx.read(listed, month, frozenTime, previous?.frozenTime),
    ...(afterSkipped ? {renewals: listed.flatMap((sub) => latestRenewal(sub) ?? [])} : {}),
  })
  ctx.progress.tick(phaseName({month}))
}

/**
 * A month between two stops, from the last reading: nothing the plan does and nothing Stripe does
 * on its own changes a subscription there (src/scenario/clock-stops.ts), so each subscription
 * still live reads as it did, at the month's own time. A subscription that ended at the last
 * reading is left out, as a reading leaves it out (src/ledger/reading.ts). Marked inferred: the
 * renewal invoices Stripe made for the month are checked against it after the run.
 */
async function writeSkippedMonth(run: ClockRun, month: number): Promise<void> {
  const {ctx, state} = run
  const last = state.months.at(-1)
  if (!last) throw new BugError(`clock ${run.clock.index}: month ${month} skipped before any reading`)
  const frozenTime = addIntervals(ctx.scenario.startTime, 'month', month) + RENEWAL_SETTLE_SECONDS
  const label = monthLabel(frozenTime)
  await run.commit({
    type: 'month',
    month,
    frozen_time: frozenTime,
    inferred: true,
    subscriptions: [],
    items: last.items.filter(({item}) => STILL_LIVE.has(item.status)).map(({item}) => ({...item, month: label})),
  })
  ctx.progress.tick(phaseName({month}))
}

/** Statuses a subscription keeps from one month to the next when nothing happens to it. */
const STILL_LIVE = new Set(['active', 'past_due', 'trialing'])

/** Timed events: the clock stops at each distinct time, in order, and the requests go out there. */
async function timedEvents(
  run: ClockRun,
  month: number,
  monthEvents: readonly PlannedEvent[],
  checking: boolean,
): Promise<void> {
  const {ctx, state} = run
  const clockId = state.clockId!
  const done = (event: PlannedEvent) => state.eventsDone.has(eventKey(month, event.customer, event.kind))
  const timed = monthEvents.filter((event) => event.at !== undefined && REQUESTED_TIMED_KINDS.has(event.kind))
  for (const at of [...new Set(timed.map((event) => event.at!))].sort((a, b) => a - b)) {
    const pendingAt = timed.filter((event) => event.at === at && !done(event))
    if (pendingAt.length === 0) continue
    await run.step({
      done: state.stops.has(at),
      checking,
      found: async () => ((await clockUnderway(ctx.gateway, run.lane, clockId, at, month)) ? true : undefined),
      send: () =>
        ctx.gateway
          .write(
            run.lane,
            run.key(month, '-', `stop-${at}`),
            (stripe, opts) =>
              stripe.testHelpers.testClocks.advance(clockId, {frozen_time: at}, opts).then(() => undefined),
            month,
          )
          .then(() => true),
      entry: () => ({type: 'stop', month, at}),
    })
    await ctx.watcher.waitUntilReady(clockId, at, ctx.advanceTimeoutMs, ctx.signal)
    const now = checking
      ? bySubscription((await listClockSubscriptions(ctx, run.lane, clockId, month)).map(toState))
      : undefined
    const key = run.key.bind(run)
    const commit = run.commit.bind(run)
    for (const event of pendingAt) await applyTimedEvent(ctx, {lane: run.lane, month, event, state, now, key, commit})
  }
}

/** Past-due: the failing card becomes the default before this month's renewal (SB-23, SB-25). */
async function pastDueCards(
  run: ClockRun,
  month: number,
  pastDue: readonly PlannedEvent[],
  checking: boolean,
): Promise<void> {
  const {ctx, state} = run
  const {gateway} = ctx
  for (const event of pastDue) {
    const customerId = state.customerIds.get(event.customer)!
    await run.step({
      done: false,
      checking: checking && ctx.resume!.keysMayBePruned,
      found: () => failingCardInPlace(gateway, run.lane, customerId),
      send: async () => {
        const attached = await gateway.write(
          run.lane,
          run.key(month, event.customer, 'attach-failing-card'),
          (stripe, opts) =>
            stripe.paymentMethods.attach(FAILING_CARD, {customer: customerId}, opts).then((card) => card.id),
          run.priority(month),
        )
        await gateway.write(
          run.lane,
          run.key(month, event.customer, 'default-failing-card'),
          (stripe, opts) =>
            stripe.customers
              .update(customerId, {invoice_settings: {default_payment_method: attached}}, opts)
              .then(() => undefined),
          run.priority(month),
        )
        return attached
      },
      entry: (cardId) => ({
        type: 'event',
        month,
        customer: event.customer,
        kind: 'past_due',
        detail: `default card → ${FAILING_CARD} (${cardId})`,
      }),
    })
  }
}

/**
 * The advance to the stop at `month`: past every renewal of this month, and the hour its invoice
 * stays draft (SB-32). A free→paid change moved its subscription's anchor (SB-45), so each
 * subscription's own period end counts (in a scenario, only the ones renewing just past the
 * boundary: yearly and mid-month ones renew later). Returns the target.
 */
async function advancePast(run: ClockRun, month: number, checking: boolean): Promise<number> {
  const {ctx, state} = run
  const clockId = state.clockId!
  const boundary = addIntervals(ctx.scenario.startTime, 'month', month)
  const live = [...state.tracked.values()].filter(
    (s) => isActive(s.status) && (!ctx.features || s.periodEnd <= boundary + 24 * HOUR),
  )
  // After skipped months a subscription's last known period end is months old: its renewal in this
  // month is that end plus whole periods (a default-plan subscription is monthly).
  const renewalIn = (s: SubscriptionState) => {
    let end = s.periodEnd
    for (let n = 1; !ctx.features && end < boundary; n++) end = addIntervals(s.periodEnd, 'month', n)
    return end
  }
  const target = Math.max(boundary, ...live.map(renewalIn)) + RENEWAL_SETTLE_SECONDS
  await run.step({
    done: state.advanced.has(month),
    checking,
    found: async () => ((await clockUnderway(ctx.gateway, run.lane, clockId, target, month)) ? true : undefined),
    send: () =>
      ctx.gateway
        .write(
          run.lane,
          run.key(month, '-', 'advance'),
          (stripe, opts) =>
            stripe.testHelpers.testClocks.advance(clockId, {frozen_time: target}, opts).then(() => undefined),
          run.priority(month),
        )
        .then(() => true),
    entry: () => ({type: 'advanced', month, target}),
  })
  ctx.progress.start(phaseName({month}))
  return state.advanced.get(month)!
}

/** The month's base events, right after the clock reached it: plan changes by item update, cancellations. */
async function baseEvents(
  run: ClockRun,
  month: number,
  pending: readonly PlannedEvent[],
  checking: boolean,
): Promise<void> {
  const {ctx, state} = run
  const {gateway, config} = ctx
  const clockId = state.clockId!
  // What Stripe holds now, for events that may have been applied without being journaled.
  const now =
    checking && pending.length > 0
      ? bySubscription((await listClockSubscriptions(ctx, run.lane, clockId, run.priority(month))).map(toState))
      : undefined
  for (const event of pending) {
    const sub = state.tracked.get(event.customer)
    // Stripe already ended it. A trial seen at the last reading has ended since: its trial_end is planned before the boundary.
    if (!sub || !(isActive(sub.status) || sub.status === 'trialing')) continue
    const current = now?.get(sub.id)
    if (event.kind === 'cancel') {
      await run.step({
        done: false,
        checking,
        found: () => (current && !isActive(current.status) ? current : undefined),
        send: () =>
          cancelSubscription(gateway, run.lane, sub.id, run.key(month, event.customer, 'cancel'), run.priority(month)),
        entry: (canceled) => ({
          type: 'event',
          month,
          customer: event.customer,
          kind: 'cancel',
          detail: `${event.from.plan} × ${event.from.screens} canceled`,
          subscription: canceled,
        }),
      })
      continue
    }
    const to = event.to!
    const priceId = ctx.priceFor(event.customer, to)
    await run.step({
      done: false,
      checking,
      found: () => (current?.priceId === priceId && current.quantity === to.screens ? current : undefined),
      // Update the existing item by id: without it Stripe would add a second item (SB-30).
      send: () =>
        gateway.write(
          run.lane,
          run.key(month, event.customer, event.kind),
          (stripe, opts) =>
            stripe.subscriptions
              .update(
                sub.id,
                {
                  items: [{id: sub.itemId, price: priceId, quantity: to.screens}],
                  proration_behavior: config.prorationBehavior,
                },
                opts,
              )
              .then(toState),
          run.priority(month),
        ),
      entry: (updated) => ({
        type: 'event',
        month,
        customer: event.customer,
        kind: event.kind,
        detail: `${event.from.plan} × ${event.from.screens} → ${to.plan} × ${to.screens}`,
        subscription: updated,
      }),
    })
  }
}

/** Timed kinds that are a request; `trial_end` and `subscription_end` are Stripe's doing as the clock passes. */
const REQUESTED_TIMED_KINDS = new Set<PlannedEvent['kind']>([
  'mid_cycle_upgrade',
  'mid_cycle_downgrade',
  'seat_growth',
  'to_yearly',
  'cancel_at_period_end',
  'reactivation',
  'discount',
  'addon_added',
  'addon_removed',
])

/** Whether the clock is already on its way to `target` (a step done but not journaled before a resume). */
function clockUnderway(
  gateway: StripeGateway,
  lane: string,
  clockId: string,
  target: number,
  priority: number,
): Promise<boolean> {
  return gateway.read(
    lane,
    (stripe) =>
      stripe.testHelpers.testClocks.retrieve(clockId).then((c) => c.status === 'advancing' || c.frozen_time >= target),
    priority,
  )
}

/** The first subscription of a planned customer, with its scenario terms (src/scenario/README.md, the spec table). */
function subscriptionParams(
  ctx: PipelineContext,
  planned: Scenario['customers'][number],
  customerId: string,
): Stripe.SubscriptionCreateParams {
  const terms = planned.terms
  const price = ctx.priceFor(planned.index, {plan: planned.plan, screens: planned.screens, interval: terms?.interval})
  const params: Stripe.SubscriptionCreateParams = {
    customer: customerId,
    items: [{price, quantity: planned.screens}],
    metadata: planned.metadata,
  }
  if (!terms) return params
  // The discounts come back as objects, so month 0's ledger rows need no extra request.
  params.expand = ['discounts', 'items.data.discounts']
  // Without a card at the trial's end Stripe cancels (SB-48, SB-50).
  if (terms.trial)
    Object.assign(params, {
      trial_period_days: terms.trial.days,
      trial_settings: {end_behavior: {missing_payment_method: 'cancel'}},
    })
  if (terms.coupon?.month === 0) params.discounts = [ctx.discountFor(terms.coupon.id, terms.coupon.via)]
  return params
}

interface TimedStep {
  lane: string
  month: number
  event: PlannedEvent
  state: ClockState
  /** Stripe's subscriptions at the stop, on a resume: an event found done is journaled, not sent again. */
  now?: Map<string, SubscriptionState>
  key: (month: number, customer: number | '-', action: string) => string
  commit: (step: ClockStep) => Promise<void>
}

/** One timed event's request at its exact time (src/scenario/README.md, the spec table), journaled with what Stripe answered. */
async function applyTimedEvent(ctx: PipelineContext, step: TimedStep): Promise<void> {
  const {gateway} = ctx
  const {lane, month, event, state, now, key, commit} = step
  const idempotencyKey = key(month, event.customer, event.kind)
  const sub = state.tracked.get(event.customer)
  if (!sub) return
  const customerId = state.customerIds.get(event.customer)!
  const journal = (detail: string, subscription: SubscriptionState) =>
    commit({type: 'event', month, customer: event.customer, kind: event.kind, detail, subscription})
  const from = `${event.from.plan} × ${event.from.screens}`

  if (event.kind === 'reactivation') {
    const to = event.to!
    const again = now ? [...now.values()].find((s) => s.customerId === customerId && s.id !== sub.id) : undefined
    const planned = ctx.scenario.customers[event.customer]!
    const created =
      again ??
      (await gateway.write<SubscriptionState>(
        lane,
        idempotencyKey,
        (stripe, opts) =>
          stripe.subscriptions
            .create(
              {
                customer: customerId,
                items: [{price: ctx.priceFor(event.customer, to), quantity: to.screens}],
                metadata: {
                  ...planned.metadata,
                  stripe_seed_plan: to.plan,
                  stripe_seed_subscription: String(event.subscription ?? 1),
                },
              },
              opts,
            )
            .then(toState),
        month,
      ))
    await journal(`subscribed again: ${to.plan} × ${to.screens}`, created)
    return
  }
  // Stripe already ended it: nothing to change (the plan keeps requests off ended subscriptions).
  if (!isActive(sub.status) && sub.status !== 'trialing') return
  const current = now?.get(sub.id)
  // Stripe's default is create_prorations (SB-42): the parameter is sent only to ask for something else.
  const proration =
    event.prorationBehavior && event.prorationBehavior !== 'create_prorations'
      ? {proration_behavior: event.prorationBehavior}
      : {}
  const update = async (params: Stripe.SubscriptionUpdateParams) =>
    gateway.write<SubscriptionState>(
      lane,
      idempotencyKey,
      (stripe, opts) => stripe.subscriptions.update(sub.id, params, opts).then(toState),
      month,
    )

  switch (event.kind) {
    case 'cancel_at_period_end': {
      const updated = current?.cancelAtPeriodEnd ? current : await update({cancel_at_period_end: true})
      await journal(`${from}: cancels at the period's end`, updated)
      return
    }
    case 'discount': {
      const discount = ctx.discountFor(event.coupon!, event.via ?? 'coupon')
      const couponId = ctx.couponIdOf(event.coupon!)
      const updated = current?.coupons?.includes(couponId) ? current : await update({discounts: [discount]})
      await journal(
        `${from}: coupon ${event.coupon}${event.via === 'promotion_code' ? ' (promotion code)' : ''}`,
        updated,
      )
      return
    }
    case 'addon_added': {
      // An item without an id is added beside the plan's (SB-30); the plan's item stays as it is.
      const price = addonPrice(ctx, event)
      const updated = current?.addonItemId ? current : await update({items: [{price}], ...proration})
      await journal(`${from}: add-on ${event.addon} added`, updated)
      return
    }
    case 'addon_removed': {
      // The add-on's item named and deleted; the subscription goes on with the plan's (SB-83).
      const itemId = sub.addonItemId
      if (!itemId && !current) throw new BugError(`customer ${event.customer}: no add-on item to remove`)
      const updated =
        current && !current.addonItemId ? current : await update({items: [{id: itemId!, deleted: true}], ...proration})
      await journal(`${from}: add-on ${event.addon} removed`, updated)
      return
    }
    default: {
      // mid_cycle_upgrade, mid_cycle_downgrade, seat_growth, to_yearly: the item changes in place (SB-30).
      const to = event.to!
      const priceId = event.kind === 'seat_growth' ? sub.priceId : ctx.priceFor(event.customer, to)
      const item: Stripe.SubscriptionUpdateParams.Item =
        event.kind === 'seat_growth'
          ? {id: sub.itemId, quantity: to.screens}
          : {id: sub.itemId, price: priceId, quantity: to.screens}
      const updated =
        current?.priceId === priceId && current.quantity === to.screens
          ? current
          : await update({items: [item], ...proration})
      await journal(`${from} → ${to.plan} × ${to.screens}${to.interval === 'year' ? ' yearly' : ''}`, updated)
    }
  }
}

/** The add-on's monthly price in the customer's currency, from the scenario's catalog (src/scenario/catalog.ts). */
function addonPrice(ctx: PipelineContext, event: PlannedEvent): string {
  const currency = ctx.scenario.customers[event.customer]!.terms!.currency
  const lookupKey = addonLookupKey(event.addon!, currency, ctx.config.plans[0]!.currency)
  const id = ctx.prices.catalog?.prices[lookupKey]?.price_id
  if (!id) throw new BugError(`stripe_prices.json has no add-on price ${lookupKey} (checked before the run)`)
  return id
}

/**
 * Cancels a subscription. Cancel is a DELETE, and DELETE ignores idempotency keys
 * (SB-5): when a cancel went through but its answer was lost, the retry is refused. Stripe's state
 * then says whether it went through.
 */
async function cancelSubscription(
  gateway: StripeGateway,
  lane: string,
  subscriptionId: string,
  idempotencyKey: string,
  priority: number,
): Promise<SubscriptionState> {
  try {
    return await gateway.write(
      lane,
      idempotencyKey,
      (stripe, opts) => stripe.subscriptions.cancel(subscriptionId, {}, opts).then(toState),
      priority,
    )
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeError) || error.statusCode === undefined || error.statusCode >= 500)
      throw error
    const now = await gateway.read(
      lane,
      (stripe) => stripe.subscriptions.retrieve(subscriptionId).then(toState),
      priority,
    )
    if (isActive(now.status)) throw error
    return now
  }
}

/** The clock's customers and subscriptions Stripe already holds, by our metadata (SB-16: named by clock). */
async function findClockObjects(
  ctx: PipelineContext,
  lane: string,
  clockId: string,
  listCustomers: boolean,
): Promise<{
  customers: Map<number, string>
  subscriptions: Map<string, {state: SubscriptionState; items: LedgerItemRow[]}>
}> {
  const runId = ctx.scenario.runId
  const customers = new Map<number, string>()
  const subscriptions = new Map<string, {state: SubscriptionState; items: LedgerItemRow[]}>()
  for (const sub of await listClockSubscriptions(ctx, lane, clockId, 0)) {
    if (sub.metadata.stripe_seed_run !== runId || sub.metadata.stripe_seed_subscription !== undefined) continue
    const state = toState(sub)
    subscriptions.set(state.customerId, {state, items: ctx.read([sub], 0, ctx.scenario.startTime)})
    customers.set(Number(sub.metadata.stripe_seed_customer), state.customerId)
  }
  // A customer whose subscription was never made; within a day its creation key replays it instead.
  if (listCustomers) {
    const found = await listAll(
      (startingAfter) =>
        ctx.gateway.read(
          lane,
          (stripe) => stripe.customers.list({test_clock: clockId, limit: 100, ...after(startingAfter)}),
          0,
        ),
      (customer) => ({id: customer.id, metadata: customer.metadata}),
    )
    for (const customer of found)
      if (customer.metadata.stripe_seed_run === runId)
        customers.set(Number(customer.metadata.stripe_seed_customer), customer.id)
  }
  return {customers, subscriptions}
}

/** The failing card's id if it is already the customer's default (a past-due step done but not journaled). */
async function failingCardInPlace(
  gateway: StripeGateway,
  lane: string,
  customerId: string,
): Promise<string | undefined> {
  const customer = await gateway.read(lane, (stripe) =>
    stripe.customers.retrieve(customerId, {expand: ['invoice_settings.default_payment_method']}),
  )
  if (customer.deleted) return undefined
  const card = customer.invoice_settings.default_payment_method
  return card && typeof card !== 'string' && card.card?.last4 === FAILING_CARD_LAST4 ? card.id : undefined
}

function bySubscription(subscriptions: SubscriptionState[]): Map<string, SubscriptionState> {
  return new Map(subscriptions.map((sub) => [sub.id, sub]))
}

export function toState(sub: Stripe.Subscription): SubscriptionState {
  // The plan's item is the one that is not an add-on (a scenario's add-on prices say so in their metadata).
  const isAddon = (item: Stripe.SubscriptionItem) => item.price.metadata.stripe_seed_addon !== undefined
  const item = sub.items.data.find((it) => !isAddon(it)) ?? sub.items.data[0]
  if (!item) throw new BugError(`Subscription ${sub.id} has no items`)
  const addon = sub.items.data.find((it) => it !== item && isAddon(it))
  return {
    id: sub.id,
    customerId: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
    itemId: item.id,
    priceId: item.price.id,
    unitAmount: item.price.unit_amount ?? 0,
    quantity: item.quantity ?? 1,
    periodEnd: item.current_period_end,
    status: sub.status,
    ...(item.price.metadata.stripe_seed_plan ? {planHint: item.price.metadata.stripe_seed_plan} : {}),
    ...(sub.cancel_at_period_end ? {cancelAtPeriodEnd: true as const} : {}),
    ...(sub.discounts.some((d) => typeof d !== 'string')
      ? {coupons: sub.discounts.flatMap((d) => (typeof d === 'string' ? [] : [couponOf(d)]))}
      : {}),
    ...(addon ? {addonItemId: addon.id} : {}),
  }
}

function couponOf(discount: Stripe.Discount): string {
  const coupon = discount.source.coupon
  return typeof coupon === 'string' ? coupon : (coupon?.id ?? '')
}

/** The clock's subscriptions as the ledger reads them: discounts as objects (src/ledger/reading.ts), and their latest invoices when asked. */
function listClockSubscriptions(
  ctx: PipelineContext,
  lane: string,
  clockId: string,
  priority: number,
  withLatestInvoice = false,
): Promise<Stripe.Subscription[]> {
  return listAll(
    (startingAfter) =>
      ctx.gateway.read(
        lane,
        (stripe) =>
          stripe.subscriptions.list({
            test_clock: clockId,
            status: 'all',
            limit: 100,
            expand: [...LEDGER_SUBSCRIPTION_EXPAND, ...(withLatestInvoice ? ['data.latest_invoice'] : [])],
            ...after(startingAfter),
          }),
        priority,
      ),
    (sub) => sub,
  )
}
