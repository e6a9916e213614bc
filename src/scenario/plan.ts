import {addIntervals, monthLabel} from '../billing-time.js'
import {type Config, type Plan, hasScenarioFeatures} from '../config/schema.js'
import {UsageError} from '../errors.js'
import {groupBy} from '../group-by.js'
import {seededRandom} from '../random.js'
import {assignClocks} from './clock-stops.js'
import {clampScreens, largestRemainder, shuffle} from './distribution.js'
import {expectFeatureMonths} from './expected.js'
import {type CustomerTerms, planFeatures} from './features.js'
import {type Identity, createIdentities} from './identities.js'

export {clampScreens} from './distribution.js'

/**
 * The pure planner: config + customers + months + seed + start time → the complete scenario.
 * No I/O and no clock reads. What `run generate` executes, what `--dry-run` shows, what a run's
 * files are checked against.
 */

export const MAX_CUSTOMERS = 10_000
export const MAX_MONTHS = 24
/** Every stripe-seed clock name starts with this; cleanup never touches a clock without it. */
export const CLOCK_NAME_PREFIX = 'stripe-seed:'

export interface ScenarioInput {
  config: Config
  customers: number
  months: number
  seed: number
  /** Unix seconds: where the clocks start (see simulationStart). */
  startTime: number
  runId: string
}

export interface PlannedCustomer {
  index: number
  plan: string
  screens: number
  clock: number
  identity: Identity
  metadata: Record<string, string>
  /** Interval, currency, trial, coupon: only in a scenario with features (the default plan has none). */
  terms?: CustomerTerms
}

export interface PlannedClock {
  index: number
  name: string
  customers: number[]
}

/** The original run's events: applied at the month boundary, one per customer. */
export type BaseEventKind = 'upgrade' | 'downgrade' | 'cancel' | 'past_due'

/**
 * Scenario events, each at a planned time (`at`) inside month `month`, i.e. after reading
 * `month - 1` and before reading `month`. `trial_end` and `subscription_end` are Stripe's doing
 * (no request); the others are requests (see src/scenario/README.md for the calls).
 */
export type TimedEventKind =
  | 'mid_cycle_upgrade'
  | 'mid_cycle_downgrade'
  | 'to_yearly'
  | 'seat_growth'
  | 'cancel_at_period_end'
  | 'subscription_end'
  | 'reactivation'
  | 'discount'
  | 'trial_end'
  | 'addon_added'
  | 'addon_removed'

export type EventKind = BaseEventKind | TimedEventKind

export interface PlanState {
  plan: string
  screens: number
  /** Only in scenarios with features; absent means monthly. */
  interval?: 'month' | 'year'
}

export interface PlannedEvent {
  /** 1..months: a base event is applied right after the clock reaches month `month` (a past-due card goes on just before it); a timed event happens before that reading. */
  month: number
  customer: number
  kind: EventKind
  /** For upgrades: a move to the next plan up, or more screens on the same plan. */
  change?: 'plan' | 'screens'
  from: PlanState
  to?: PlanState
  /** Timed events: the day of the month (2–28) and the exact time, unix seconds (noon UTC). */
  day?: number
  at?: number
  /** Which of the customer's subscriptions (0: the first; a reactivation starts the next). */
  subscription?: number
  /** Item changes: the proration_behavior to send. */
  prorationBehavior?: 'create_prorations' | 'always_invoice' | 'none'
  /** cancel_at_period_end: when the period ends and Stripe cancels (unix seconds). trial_end: the trial's outcome. */
  endsAt?: number
  outcome?: 'converts' | 'stops'
  /** discount: the coupon from the config (coupon ids in Stripe: see couponIdFor). */
  coupon?: string
  via?: 'coupon' | 'promotion_code'
  /** addon_added, addon_removed: the config's add-on (its prices: see addonLookupKey). */
  addon?: string
}

export type ExpectedStatus = 'active' | 'past_due'

export interface ExpectedSubscription {
  customer: number
  plan: string
  screens: number
  /** The default plan only has active and past_due; a scenario with trials lists trialing ones too (MRR 0). */
  status: ExpectedStatus | 'trialing'
  /** In the subscription's currency, by the analytics definitions (src/ledger/mrr.ts). */
  mrrCents: number
  /** Scenario features only. */
  currency?: string
  interval?: 'month' | 'year'
  subscription?: number
  /** Why it carries no MRR (the ledger's `excluded`), or null. */
  excluded?: string | null
  coupon?: string
  cancelAt?: number | null
  /** The add-on on the subscription at the reading; its item's MRR is in mrrCents (SB-M1: every licensed item counts). */
  addon?: string
}

export interface ExpectedMonth {
  month: number
  label: string
  /** The month's MRR; with several currencies, the total in analytics.reportingCurrency over the currencies with a rate. */
  mrrCents: number
  subscriptions: ExpectedSubscription[]
  /** Scenario features only: MRR per currency, in each currency's minor unit. */
  mrrByCurrency?: Record<string, number>
  /** Currencies left out of mrrCents for want of an analytics.fxRates entry. */
  unconverted?: string[]
}

export interface Scenario {
  runId: string
  seed: number
  months: number
  startTime: number
  customersPerClock: number
  plans: Array<Pick<Plan, 'key' | 'name' | 'unitAmount' | 'currency' | 'screens'>>
  distribution: Record<string, number>
  eventCounts: Record<BaseEventKind, number>
  /** Scenario features: what the planner assigned, by kind (absent in the default plan). */
  featureCounts?: Record<string, number>
  /** Scenario features: the currency of each month's mrrCents total (analytics.reportingCurrency). */
  reportingCurrency?: string
  customers: PlannedCustomer[]
  clocks: PlannedClock[]
  /** Sorted by month, then customer. */
  events: PlannedEvent[]
  /** Month 0 (after creation) through `months`. */
  expected: ExpectedMonth[]
}

export function validateScenarioSize(customers: number, months: number): void {
  if (!Number.isInteger(customers) || customers < 1 || customers > MAX_CUSTOMERS) {
    throw new UsageError(`--customers must be a whole number from 1 to ${MAX_CUSTOMERS}, got ${customers}`)
  }
  if (!Number.isInteger(months) || months < 1 || months > MAX_MONTHS) {
    throw new UsageError(`--months must be a whole number from 1 to ${MAX_MONTHS}, got ${months}`)
  }
}

export function planScenario(input: ScenarioInput): Scenario {
  const {config, customers: total, months, seed, startTime, runId} = input
  validateScenarioSize(total, months)
  const plans = config.plans
  const planIndex = new Map(plans.map((plan, index) => [plan.key, index]))
  // Plans are ordered cheapest first, so a neighbour is one plan up or down.
  const planAt = (key: string, offset = 0): Plan => plans[planIndex.get(key)! + offset]!
  const random = seededRandom(seed)
  const randomInt = (min: number, max: number) => min + Math.floor(random() * (max - min + 1))

  // Distribution and event counts both scale from the reference tables by largest remainder.
  const perPlan = largestRemainder(
    plans.map((plan) => plan.customers),
    total,
  )
  const {upgrades, downgrades, cancellations, pastDue} = config.events
  const reference = plans.reduce((sum, plan) => sum + plan.customers, 0)
  const [nUp = 0, nDown = 0, nCancel = 0, nPastDue = 0] = largestRemainder(
    [upgrades, downgrades, cancellations, pastDue, reference - upgrades - downgrades - cancellations - pastDue],
    total,
  )

  const planKeys = shuffle(
    perPlan.flatMap((count, index) => Array.from({length: count}, () => plans[index]!.key)),
    random,
  )
  const identities = createIdentities(seed, total)
  const customers: PlannedCustomer[] = planKeys.map((key, index) => {
    const plan = planAt(key)
    return {
      index,
      plan: key,
      screens: randomInt(plan.screens.min, plan.screens.max),
      clock: Math.floor(index / config.customersPerClock),
      identity: identities[index]!,
      metadata: {stripe_seed_run: runId, stripe_seed_customer: String(index), stripe_seed_plan: key},
    }
  })
  const clockCount = Math.ceil(total / config.customersPerClock)
  const clocks: PlannedClock[] = Array.from({length: clockCount}, (_, index) => ({
    index,
    name: `${CLOCK_NAME_PREFIX}${runId}:${String(index + 1).padStart(String(clockCount).length, '0')}`,
    customers: [],
  }))
  for (const c of customers) clocks[c.clock]!.customers.push(c.index)

  // One event per customer at most, so no event ever lands on a canceled or past-due customer.
  // The most constrained kinds choose first.
  const taken = new Set<number>()
  const bottom = plans[0]!.key
  const top = plans.at(-1)!.key
  const choose = (
    kind: EventKind,
    count: number,
    eligible: (c: PlannedCustomer) => boolean,
    weight?: (c: PlannedCustomer) => number,
  ): PlannedCustomer[] => {
    const candidates = customers.filter((c) => !taken.has(c.index) && eligible(c))
    if (candidates.length < count) {
      throw new UsageError(
        `The plan needs ${count} ${kind.replace('_', '-')} events but only ${candidates.length} of ${total} customers can carry one: lower events.${kind === 'past_due' ? 'pastDue' : kind === 'cancel' ? 'cancellations' : `${kind}s`} or change the distribution`,
      )
    }
    const picked = weight
      ? weightedSample(candidates, count, weight, random)
      : shuffle(candidates, random).slice(0, count)
    for (const c of picked) taken.add(c.index)
    return picked.sort((a, b) => a.index - b.index)
  }
  const paid = (c: PlannedCustomer) => planAt(c.plan).unitAmount > 0
  const churnWeight = (c: PlannedCustomer) => planAt(c.plan).churnWeight
  // Failed payments, like cancellations, fall mostly on the cheaper plans.
  const pastDueCustomers = choose('past_due', nPastDue, paid, churnWeight)
  const downgradeCustomers = choose('downgrade', nDown, (c) => c.plan !== bottom)
  const upgradeCustomers = choose('upgrade', nUp, (c) => c.plan !== top || c.screens < plans.at(-1)!.screens.max)
  const cancelCustomers = choose('cancel', nCancel, () => true, churnWeight)

  // Months: each kind is spread evenly over the run, starting at a different month per kind, so
  // every month gets a mix and MRR moves gradually. Past-due is placed from the last month back, so
  // the end state holds a still-past-due subscription next to ones Stripe already canceled.
  const spread = (list: PlannedCustomer[], offset: number) =>
    shuffle(list, random).map((c, i) => ({c, month: 1 + ((i + offset) % months)}))
  const events: PlannedEvent[] = []
  for (const {c, month} of spread(upgradeCustomers, 0)) {
    const plan = planAt(c.plan)
    const canChangePlan = c.plan !== top
    const canAddScreens = c.screens < plan.screens.max
    const byPlan = canChangePlan && (!canAddScreens || random() < config.events.planUpgradeShare)
    if (byPlan) {
      const next = planAt(c.plan, 1)
      events.push({
        month,
        customer: c.index,
        kind: 'upgrade',
        change: 'plan',
        from: {plan: c.plan, screens: c.screens},
        to: {plan: next.key, screens: clampScreens(c.screens, next)},
      })
    } else {
      const extra = randomInt(1, Math.max(1, Math.ceil((plan.screens.max - c.screens) / 2)))
      events.push({
        month,
        customer: c.index,
        kind: 'upgrade',
        change: 'screens',
        from: {plan: c.plan, screens: c.screens},
        to: {plan: c.plan, screens: c.screens + extra},
      })
    }
  }
  for (const {c, month} of spread(downgradeCustomers, 1)) {
    const previous = planAt(c.plan, -1)
    events.push({
      month,
      customer: c.index,
      kind: 'downgrade',
      from: {plan: c.plan, screens: c.screens},
      to: {plan: previous.key, screens: clampScreens(c.screens, previous)},
    })
  }
  for (const {c, month} of spread(cancelCustomers, 2))
    events.push({month, customer: c.index, kind: 'cancel', from: {plan: c.plan, screens: c.screens}})
  for (const [i, c] of shuffle(pastDueCustomers, random).entries()) {
    events.push({
      month: months - (i % months),
      customer: c.index,
      kind: 'past_due',
      from: {plan: c.plan, screens: c.screens},
    })
  }
  events.sort((a, b) => a.month - b.month || a.customer - b.customer)
  const base = {
    runId,
    seed,
    months,
    startTime,
    customersPerClock: config.customersPerClock,
    plans: plans.map(({key, name, unitAmount, currency, screens}) => ({key, name, unitAmount, currency, screens})),
    distribution: Object.fromEntries(plans.map((plan, index) => [plan.key, perPlan[index] ?? 0])),
    eventCounts: {upgrade: nUp, downgrade: nDown, cancel: nCancel, past_due: nPastDue},
    customers,
    clocks,
    events,
  }
  if (hasScenarioFeatures(config)) {
    const features = planFeatures({config, customers, events, months, seed, startTime})
    const allEvents = [...events, ...features.events].sort(
      (a, b) => a.month - b.month || eventTime(a, startTime) - eventTime(b, startTime) || a.customer - b.customer,
    )
    return {
      ...base,
      events: allEvents,
      featureCounts: features.counts,
      reportingCurrency: config.analytics.reportingCurrency,
      expected: expectFeatureMonths({config, customers, events: allEvents, months, startTime}),
    }
  }

  // Customers move to the clocks that let each stop least (src/scenario/clock-stops.ts); every other
  // part of the plan was drawn before and stays as it was.
  if (config.clockStops === 'events') {
    const clockOf = assignClocks(
      total,
      groupBy(events, (event) => event.customer),
      months,
      config.customersPerClock,
    )
    for (const clock of clocks) clock.customers = []
    for (const c of customers) {
      c.clock = clockOf[c.index]!
      clocks[c.clock]!.customers.push(c.index)
    }
  }
  // Same keys in the same order as before the scenario features: the default plan stays byte-identical.
  return {...base, expected: expectMonths(customers, events, plans, months, startTime)}
}

/** When an event happens: its planned time, or (base events) its month's boundary, where the run applies it. */
export function eventTime(event: Pick<PlannedEvent, 'month' | 'at'>, startTime: number): number {
  return event.at ?? addIntervals(startTime, 'month', event.month)
}

/**
 * What Stripe should hold after each month. A past-due card goes on before month k's renewal: the
 * charge fails, so the subscription is past_due at month k; Smart Retries run out within two weeks,
 * so by month k+1 Stripe has canceled it (SB-32, SB-33).
 */
function expectMonths(
  customers: PlannedCustomer[],
  events: PlannedEvent[],
  plans: Plan[],
  months: number,
  startTime: number,
): ExpectedMonth[] {
  const amount = new Map(plans.map((plan) => [plan.key, plan.unitAmount]))
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- false positive: it widens the literal so the statuses assigned below type-check
  const state = customers.map((c) => ({plan: c.plan, screens: c.screens, status: 'active' as ExpectedStatus | 'gone'}))
  const byMonth = groupBy(events, (event) => event.month)
  const expected: ExpectedMonth[] = []
  for (let month = 0; month <= months; month++) {
    for (const s of state) if (s.status === 'past_due') s.status = 'gone'
    for (const event of byMonth.get(month) ?? []) {
      const s = state[event.customer]!
      if (event.kind === 'cancel') s.status = 'gone'
      else if (event.kind === 'past_due') s.status = 'past_due'
      else if (event.to) Object.assign(s, {plan: event.to.plan, screens: event.to.screens})
    }
    const subscriptions: ExpectedSubscription[] = []
    for (const [customer, s] of state.entries()) {
      if (s.status === 'gone') continue
      subscriptions.push({
        customer,
        plan: s.plan,
        screens: s.screens,
        status: s.status,
        mrrCents: (amount.get(s.plan) ?? 0) * s.screens,
      })
    }
    expected.push({
      month,
      label: monthLabel(addIntervals(startTime, 'month', month)),
      // Stripe's MRR counts active and past_due subscriptions (SB-M1).
      mrrCents: subscriptions.reduce((sum, sub) => sum + sub.mrrCents, 0),
      subscriptions,
    })
  }
  return expected
}

/** Weighted sampling without replacement (Efraimidis–Spirakis): the `count` largest u^(1/w). */
function weightedSample<T>(items: readonly T[], count: number, weight: (item: T) => number, random: () => number): T[] {
  return items
    .map((item) => {
      const w = weight(item)
      return {item, key: w > 0 ? random() ** (1 / w) : -1}
    })
    .sort((a, b) => b.key - a.key)
    .slice(0, count)
    .map(({item}) => item)
}
