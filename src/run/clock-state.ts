import type Stripe from 'stripe'

import {monthLabel} from '../billing-time.js'
import {BugError} from '../errors.js'
import type {PricesFile, RunDetailsFile, SnapshotRow} from '../files/formats.js'
import type {ClockEntry, JournalEntry, SubscriptionState} from './journal.js'

/**
 * Everything a run knows about one clock, built only from its journal entries: the live run
 * applies each entry as it journals it, and a resumed run replays the journal into the same state.
 */
export interface ClockState {
  index: number
  /** 1, then one more each time a failed clock is retried with a new clock. */
  attempt: number
  clockId?: string
  customerIds: Map<number, string>
  /** Each customer's subscription as created. */
  created: Map<number, SubscriptionState>
  /** Each customer's subscription as last seen: what the next update and advance need. */
  tracked: Map<number, SubscriptionState>
  /** month -> the frozen_time the clock was told to advance to. */
  advanced: Map<number, number>
  /** Events done, as `month:customer`. */
  eventsDone: Set<string>
  applied: Array<{month: number; customer: number; kind: string; detail: string}>
  /**
   * Months read back from Stripe, in order (month 0 is the state right after creation), as the
   * snapshot rows they make: only these are kept, not the subscriptions read (70,000 at 10,000 customers).
   */
  months: Array<{month: number; rows: Array<{customer: number; row: SnapshotRow}>}>
  /** Subscriptions that left MRR (canceled, unpaid, …), each once, in the month first seen so. */
  ended: RunDetailsFile['ended_subscriptions']
  failed?: string
}

/** Which plan a price belongs to: from stripe_prices.json, for the rows. */
export type PlanOfPrice = (priceId: string) => string | undefined

export function planOfPriceIn(prices: PricesFile): PlanOfPrice {
  const plans = new Map(prices.plans.map((plan) => [plan.price_id, plan.key]))
  return (priceId) => plans.get(priceId)
}

export function freshClockState(index: number, attempt = 1): ClockState {
  return {index, attempt, customerIds: new Map(), created: new Map(), tracked: new Map(), advanced: new Map(), eventsDone: new Set(), applied: [], months: [], ended: []}
}

export const eventKey = (month: number, customer: number) => `${month}:${customer}`

export function lastMonthRead(state: ClockState): number {
  return state.months.at(-1)?.month ?? -1
}

export function applyEntry(state: ClockState, entry: ClockEntry, planOf: PlanOfPrice): ClockState {
  if (entry.clock !== state.index) throw new BugError(`journal entry of clock ${entry.clock} applied to clock ${state.index}`)
  if (entry.attempt < state.attempt) return state
  // A later attempt starts the clock over: a new clock for the same planned customers.
  const target = entry.attempt > state.attempt ? freshClockState(state.index, entry.attempt) : state
  if (target !== state) Object.assign(state, target)
  switch (entry.type) {
    case 'clock':
      state.clockId = entry.clock_id
      break
    case 'customer':
      state.customerIds.set(entry.customer, entry.customer_id)
      break
    case 'subscription':
      state.created.set(entry.customer, entry.subscription)
      state.tracked.set(entry.customer, entry.subscription)
      break
    case 'advanced':
      state.advanced.set(entry.month, entry.target)
      break
    case 'event':
      state.eventsDone.add(eventKey(entry.month, entry.customer))
      state.applied.push({month: entry.month, customer: entry.customer, kind: entry.kind, detail: entry.detail})
      if (entry.subscription) state.tracked.set(entry.customer, entry.subscription)
      break
    case 'month': {
      const customerOf = new Map([...state.customerIds].map(([index, id]) => [id, index]))
      const label = monthLabel(entry.frozen_time)
      const rows: ClockState['months'][number]['rows'] = []
      for (const read of entry.subscriptions) {
        const customer = customerOf.get(read.customerId)
        if (customer === undefined) continue
        const sub = shareStrings(read, state.tracked.get(customer))
        state.tracked.set(customer, sub)
        // Only active and past_due count as MRR (stripe-facts #33); anything else has churned, noted once.
        if (!isActive(sub.status)) {
          if (!state.ended.some((ended) => ended.subscription_id === sub.id)) state.ended.push({month: label, customer_id: sub.customerId, subscription_id: sub.id, status: sub.status})
          continue
        }
        rows.push({customer, row: snapshotRow(label, sub, planOf)})
      }
      state.months.push({month: entry.month, rows})
      break
    }
    case 'clock_failed':
      state.failed = entry.reason
      break
  }
  return state
}

/**
 * The same subscription read again, holding the strings already kept instead of the fresh copies
 * each response parsed: a 10,000-customer run keeps 70,000 of these.
 */
function shareStrings(sub: SubscriptionState, known: SubscriptionState | undefined): SubscriptionState {
  if (!known) return sub
  return {
    ...sub,
    id: sub.id === known.id ? known.id : sub.id,
    customerId: sub.customerId === known.customerId ? known.customerId : sub.customerId,
    itemId: sub.itemId === known.itemId ? known.itemId : sub.itemId,
    priceId: sub.priceId === known.priceId ? known.priceId : sub.priceId,
    status: sub.status === known.status ? known.status : sub.status,
    ...(sub.planHint !== undefined ? {planHint: sub.planHint === known.planHint ? known.planHint : sub.planHint} : {}),
  }
}

/** Every clock's state from a journal's entries (clocks the journal never mentions start fresh). */
export function replayJournal(entries: JournalEntry[], clocks: number, planOf: PlanOfPrice): ClockState[] {
  const states = Array.from({length: clocks}, (_, index) => freshClockState(index))
  for (const entry of entries) {
    if (entry.type === 'saved') continue
    const state = states[entry.clock]
    if (!state) throw new BugError(`journal names clock ${entry.clock}, the plan has ${clocks}`)
    applyEntry(state, entry, planOf)
  }
  return states
}

export function isActive(status: Stripe.Subscription.Status): boolean {
  return status === 'active' || status === 'past_due'
}

function snapshotRow(label: string, sub: SubscriptionState, planOf: PlanOfPrice): SnapshotRow {
  return {
    month: label,
    customer_id: sub.customerId,
    subscription_id: sub.id,
    plan: planOf(sub.priceId) ?? sub.planHint ?? 'unknown',
    price_id: sub.priceId,
    price_amount: sub.unitAmount,
    screens: sub.quantity,
    mrr_cents: sub.unitAmount * sub.quantity,
    status: sub.status === 'past_due' ? 'past_due' : 'active',
  }
}

/** A clock's snapshot rows, each with its month and customer index, for ordering. */
export function clockRows(state: ClockState): Array<{month: number; customer: number; row: SnapshotRow}> {
  return state.months.flatMap(({month, rows}) => rows.map(({customer, row}) => ({month, customer, row})))
}
