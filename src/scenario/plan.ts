import {addIntervals, monthLabel} from '../billing-time.js'
import type {Config, Plan} from '../config/schema.js'
import {UsageError} from '../errors.js'
import {groupBy} from '../group-by.js'
import {seededRandom} from '../random.js'
import {largestRemainder} from './distribution.js'
import {type Identity, createIdentities} from './identities.js'

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
}

export interface PlannedClock {
  index: number
  name: string
  customers: number[]
}

export type EventKind = 'upgrade' | 'downgrade' | 'cancel' | 'past_due'

export interface PlannedEvent {
  /** 1..months: applied right after the clock reaches month `month` (a past-due card goes on just before it). */
  month: number
  customer: number
  kind: EventKind
  /** For upgrades: a move to the next plan up, or more screens on the same plan. */
  change?: 'plan' | 'screens'
  from: {plan: string; screens: number}
  to?: {plan: string; screens: number}
}

export type ExpectedStatus = 'active' | 'past_due'

export interface ExpectedSubscription {
  customer: number
  plan: string
  screens: number
  status: ExpectedStatus
  mrrCents: number
}

export interface ExpectedMonth {
  month: number
  label: string
  mrrCents: number
  subscriptions: ExpectedSubscription[]
}

export interface Scenario {
  runId: string
  seed: number
  months: number
  startTime: number
  customersPerClock: number
  plans: Array<Pick<Plan, 'key' | 'name' | 'unitAmount' | 'currency' | 'screens'>>
  distribution: Record<string, number>
  eventCounts: Record<EventKind, number>
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
  const perPlan = largestRemainder(plans.map((plan) => plan.customers), total)
  const {upgrades, downgrades, cancellations, pastDue} = config.events
  const reference = plans.reduce((sum, plan) => sum + plan.customers, 0)
  const [nUp = 0, nDown = 0, nCancel = 0, nPastDue = 0] = largestRemainder([upgrades, downgrades, cancellations, pastDue, reference - upgrades - downgrades - cancellations - pastDue], total)

  const planKeys = shuffle(perPlan.flatMap((count, index) => Array.from({length: count}, () => plans[index]!.key)), random)
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
  const choose = (kind: EventKind, count: number, eligible: (c: PlannedCustomer) => boolean, weight?: (c: PlannedCustomer) => number): PlannedCustomer[] => {
    const candidates = customers.filter((c) => !taken.has(c.index) && eligible(c))
    if (candidates.length < count) {
      throw new UsageError(`The plan needs ${count} ${kind.replace('_', '-')} events but only ${candidates.length} of ${total} customers can carry one: lower events.${kind === 'past_due' ? 'pastDue' : kind === 'cancel' ? 'cancellations' : `${kind}s`} or change the distribution`)
    }
    const picked = weight ? weightedSample(candidates, count, weight, random) : shuffle(candidates, random).slice(0, count)
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
  const spread = (list: PlannedCustomer[], offset: number) => shuffle(list, random).map((c, i) => ({c, month: 1 + ((i + offset) % months)}))
  const events: PlannedEvent[] = []
  for (const {c, month} of spread(upgradeCustomers, 0)) {
    const plan = planAt(c.plan)
    const canChangePlan = c.plan !== top
    const canAddScreens = c.screens < plan.screens.max
    const byPlan = canChangePlan && (!canAddScreens || random() < config.events.planUpgradeShare)
    if (byPlan) {
      const next = planAt(c.plan, +1)
      events.push({month, customer: c.index, kind: 'upgrade', change: 'plan', from: {plan: c.plan, screens: c.screens}, to: {plan: next.key, screens: clampScreens(c.screens, next)}})
    } else {
      const extra = randomInt(1, Math.max(1, Math.ceil((plan.screens.max - c.screens) / 2)))
      events.push({month, customer: c.index, kind: 'upgrade', change: 'screens', from: {plan: c.plan, screens: c.screens}, to: {plan: c.plan, screens: c.screens + extra}})
    }
  }
  for (const {c, month} of spread(downgradeCustomers, 1)) {
    const previous = planAt(c.plan, -1)
    events.push({month, customer: c.index, kind: 'downgrade', from: {plan: c.plan, screens: c.screens}, to: {plan: previous.key, screens: clampScreens(c.screens, previous)}})
  }
  for (const {c, month} of spread(cancelCustomers, 2)) events.push({month, customer: c.index, kind: 'cancel', from: {plan: c.plan, screens: c.screens}})
  for (const [i, c] of shuffle(pastDueCustomers, random).entries()) {
    events.push({month: months - (i % months), customer: c.index, kind: 'past_due', from: {plan: c.plan, screens: c.screens}})
  }
  events.sort((a, b) => a.month - b.month || a.customer - b.customer)

  return {
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
    expected: expectMonths(customers, events, plans, months, startTime),
  }
}

/**
 * Screens carry over on a plan change, clamped into the new plan's range: an upgrade lifts a
 * customer to the new plan's minimum, a downgrade caps them at its maximum.
 */
export function clampScreens(screens: number, plan: Pick<Plan, 'screens'>): number {
  return Math.min(plan.screens.max, Math.max(plan.screens.min, screens))
}

/**
 * What Stripe should hold after each month. A past-due card goes on before month k's renewal: the
 * charge fails, so the subscription is past_due at month k; Smart Retries run out within two weeks,
 * so by month k+1 Stripe has canceled it (stripe-facts #31, #32).
 */
function expectMonths(customers: PlannedCustomer[], events: PlannedEvent[], plans: Plan[], months: number, startTime: number): ExpectedMonth[] {
  const amount = new Map(plans.map((plan) => [plan.key, plan.unitAmount]))
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
      subscriptions.push({customer, plan: s.plan, screens: s.screens, status: s.status, mrrCents: (amount.get(s.plan) ?? 0) * s.screens})
    }
    expected.push({
      month,
      label: monthLabel(addIntervals(startTime, 'month', month)),
      // Stripe's MRR counts active and past_due subscriptions (#33).
      mrrCents: subscriptions.reduce((sum, sub) => sum + sub.mrrCents, 0),
      subscriptions,
    })
  }
  return expected
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
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
