import type Stripe from 'stripe'

import {monthLabel} from '../billing-time.js'
import {BugError} from '../errors.js'
import type {PricesFile, RunDetailsFile} from '../files/formats.js'
import type {LedgerItemRow} from '../files/ledger.js'
import type {RenewalInvoice} from '../ledger/renewals.js'
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
  /** Each customer's first subscription as created. */
  created: Map<number, SubscriptionState>
  /** Ledger rows of each first subscription as created, until month 0 is journaled with them. */
  createdItems: Map<number, LedgerItemRow[]>
  /** Each customer's subscription as last seen: what the next update and advance need. */
  tracked: Map<number, SubscriptionState>
  /** month -> the frozen_time the clock was told to advance to. */
  advanced: Map<number, number>
  /** Timed events' exact times the clock was told to stop at. */
  stops: Set<number>
  /** Events done, as `month:customer:kind`. */
  eventsDone: Set<string>
  applied: Array<{month: number; customer: number; kind: string; detail: string}>
  /**
   * Months read back from Stripe, in order (month 0 is the state right after creation), as the
   * ledger rows they make: only these are kept, not the subscriptions read (70,000 at 10,000 customers).
   */
  months: Array<{
    month: number
    frozenTime: number
    /** Written from the reading before it, not read (a month between the clock's stops). */
    inferred?: true
    items: Array<{customer: number; item: LedgerItemRow}>
  }>
  /** Renewal invoices seen by the readings right after skipped months: what confirms those months (SB-R2). */
  renewals: RenewalInvoice[]
  /** False once a reading after skipped months carried no renewals (an older journal): the run lists invoices then. */
  renewalsRead: boolean
  /** Subscriptions that left MRR (canceled, unpaid, …), each once, in the month first seen so. */
  ended: RunDetailsFile['ended_subscriptions']
  failed?: string
  /** One copy of each id and label this clock's ledger rows hold (see shareItemStrings). */
  strings: Map<string, string>
}

/** Which plan a price belongs to: from stripe_prices.json, for the rows. */
export type PlanOfPrice = (priceId: string) => string | undefined

/** The plans of the default prices and of a scenario's catalog. */
export function planOfPriceIn(prices: PricesFile): PlanOfPrice {
  const plans = new Map([
    ...prices.plans.map((plan) => [plan.price_id, plan.key] as const),
    ...Object.values(prices.catalog?.prices ?? {}).map((price) => [price.price_id, price.plan] as const),
  ])
  return (priceId) => plans.get(priceId)
}

export function freshClockState(index: number, attempt = 1): ClockState {
  return {
    index,
    attempt,
    customerIds: new Map(),
    created: new Map(),
    createdItems: new Map(),
    tracked: new Map(),
    advanced: new Map(),
    stops: new Set(),
    eventsDone: new Set(),
    applied: [],
    months: [],
    renewals: [],
    renewalsRead: true,
    ended: [],
    strings: new Map(),
  }
}

/** A customer may have a timed event and a base event, or a discount, in one month: the kind tells them apart. */
export const eventKey = (month: number, customer: number, kind: string) => `${month}:${customer}:${kind}`

export function lastMonthRead(state: ClockState): number {
  return state.months.at(-1)?.month ?? -1
}

export function applyEntry(state: ClockState, entry: ClockEntry): ClockState {
  if (entry.clock !== state.index)
    throw new BugError(`journal entry of clock ${entry.clock} applied to clock ${state.index}`)
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
      if (entry.items) state.createdItems.set(entry.customer, entry.items)
      break
    case 'advanced':
      state.advanced.set(entry.month, entry.target)
      break
    case 'stop':
      state.stops.add(entry.at)
      break
    case 'event':
      state.eventsDone.add(eventKey(entry.month, entry.customer, entry.kind))
      state.applied.push({month: entry.month, customer: entry.customer, kind: entry.kind, detail: entry.detail})
      if (entry.subscription) state.tracked.set(entry.customer, entry.subscription)
      break
    case 'month': {
      const customerOf = new Map([...state.customerIds].map(([index, id]) => [id, index]))
      const label = monthLabel(entry.frozen_time)
      for (const read of entry.subscriptions) {
        const customer = customerOf.get(read.customerId)
        if (customer === undefined) continue
        const known = state.tracked.get(customer)
        // A reactivated customer lists its ended subscription too: only the one tracked moves on.
        if (known && known.id !== read.id) continue
        const sub = shareStrings(read, known)
        state.tracked.set(customer, sub)
      }
      for (const read of entry.subscriptions) {
        // Only active and past_due count as MRR (SB-M1); anything else has ended, noted once.
        if (isActive(read.status) || read.status === 'trialing' || !customerOf.has(read.customerId)) continue
        if (!state.ended.some((ended) => ended.subscription_id === read.id))
          state.ended.push({month: label, customer_id: read.customerId, subscription_id: read.id, status: read.status})
      }
      if (entry.renewals) state.renewals.push(...entry.renewals)
      else if (!entry.inferred && state.months.at(-1)?.inferred) state.renewalsRead = false
      const items = (entry.items ?? []).flatMap((item) => {
        const customer = customerOf.get(item.customer_id)
        return customer === undefined ? [] : [{customer, item: shareItemStrings(item, state.strings)}]
      })
      state.months.push({
        month: entry.month,
        frozenTime: entry.frozen_time,
        ...(entry.inferred ? {inferred: true as const} : {}),
        items,
      })
      if (entry.month === 0) state.createdItems.clear()
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

/**
 * A ledger row holding one copy per clock of each id and label instead of the fresh copies each
 * response parsed: a 10,000-customer run keeps 70,000 rows, most of their strings repeated monthly.
 */
function shareItemStrings(item: LedgerItemRow, strings: Map<string, string>): LedgerItemRow {
  const share = (value: string) => {
    const known = strings.get(value)
    if (known !== undefined) return known
    strings.set(value, value)
    return value
  }
  return {
    ...item,
    month: share(item.month),
    customer_id: share(item.customer_id),
    subscription_id: share(item.subscription_id),
    item_id: share(item.item_id),
    plan: share(item.plan),
    price_id: share(item.price_id),
    status: share(item.status),
    currency: share(item.currency),
  }
}

/** Every clock's state from a journal's entries (clocks the journal never mentions start fresh). */
export function replayJournal(entries: JournalEntry[], clocks: number): ClockState[] {
  const states = Array.from({length: clocks}, (_, index) => freshClockState(index))
  for (const entry of entries) {
    if (entry.type === 'saved') continue
    const state = states[entry.clock]
    if (!state) throw new BugError(`journal names clock ${entry.clock}, the plan has ${clocks}`)
    applyEntry(state, entry)
  }
  return states
}

export function isActive(status: Stripe.Subscription.Status): boolean {
  return status === 'active' || status === 'past_due'
}

/** A clock's ledger rows, each with its month and customer index, for ordering. */
export function clockItems(state: ClockState): Array<{month: number; customer: number; item: LedgerItemRow}> {
  return state.months.flatMap(({month, items}) => items.map(({customer, item}) => ({month, customer, item})))
}
