import type {PlannedEvent} from './plan.js'

/**
 * Where a clock stops: only in the months where something happens to one of its customers, and
 * often enough that no advance moves further than Stripe allows. Pure: the planner groups
 * customers by these months, the pipeline advances from stop to stop, and the months between two
 * stops are written from the plan (then checked against Stripe's renewal invoices, SB-R2).
 *
 * Between stops nothing can change a default-plan subscription: its only changes are the planned
 * base events (requests at a stop) and a failing card's renewal and Smart Retries, whose months
 * are stops too (SB-R1).
 */

/**
 * How the pipeline moves a clock through the months: `events` stops only where the plan needs it
 * (the default); `monthly` stops at every month boundary, the design before issue 20, kept so the
 * benchmark measures the difference.
 */
export type ClockStopsMode = 'events' | 'monthly'

/**
 * The months (1-based month boundaries) a customer's events need the clock stopped at. A base event
 * is a request right after the clock reaches its month. A past-due customer needs the month before
 * (its failing card goes on before the renewal), the failure month (the renewal's charge fails: past
 * due) and the next (Smart Retries have run out: canceled, SB-34), since those changes are Stripe's
 * and their exact days are not ours to infer.
 */
export function customerStopMonths(
  events: readonly PlannedEvent[],
  months: number,
  isFree: (plan: string) => boolean = () => false,
): number[] {
  const needed = new Set<number>()
  const add = (month: number) => {
    if (month >= 1 && month <= months) needed.add(month)
  }
  for (const event of events) {
    if (event.kind === 'past_due') for (const month of [event.month - 1, event.month, event.month + 1]) add(month)
    else add(event.month)
    // A free plan's subscription moving to a paid one renews from the change on (SB-29 in the rules, SB-45):
    // its renewals fall just after the boundaries, so the next advance must go one month only, to pass
    // the first of them by the draft hour and leave every later advance room for two months.
    if (event.kind === 'upgrade' && event.to && isFree(event.from.plan) && !isFree(event.to.plan)) add(event.month + 1)
  }
  return [...needed].sort((a, b) => a - b)
}

/** Whether a plan is free, from the plan's price table: its subscriptions' anchor moves when they start paying. */
export function freePlans(plans: ReadonlyArray<{key: string; unitAmount: number}>): (plan: string) => boolean {
  const free = new Set(plans.filter((plan) => plan.unitAmount === 0).map((plan) => plan.key))
  return (plan) => free.has(plan)
}

/**
 * The fewest stops that include every needed month and the last one, each advance within Stripe's
 * limit (SB-12: two intervals of the shortest subscription, two months for monthly prices). The
 * clock starts exactly at a month boundary and every stop passes its boundary by the renewal
 * invoice's settling margin, so the first advance can cover one month and every later one two.
 * Greedy: stop at the next needed month if it is in reach, else as far as the limit allows.
 */
export function stopsFor(needed: readonly number[], months: number, mode: ClockStopsMode = 'events'): number[] {
  if (mode === 'monthly') return Array.from({length: months}, (_, i) => i + 1)
  const required = new Set([...needed, months])
  const sorted = [...required].filter((m) => m >= 1 && m <= months).sort((a, b) => a - b)
  const stops: number[] = []
  let at = 0
  let next = 0
  while (at < months) {
    const reach = Math.min(months, at === 0 ? 1 : at + MAX_MONTHS_PER_ADVANCE)
    while (sorted[next]! <= at) next++
    at = Math.min(sorted[next]!, reach)
    stops.push(at)
  }
  return stops
}

/** Two months: SB-12's two intervals of a monthly price. */
export const MAX_MONTHS_PER_ADVANCE = 2

/**
 * Customers on clocks of `perClock`, so that clocks need as few stops as possible: the most
 * constrained customers (those needing the most stops) open clocks, and each clock is filled with
 * the customer that adds the fewest stops to it, ties to the fewest new months, then the lowest
 * index. Deterministic: a function of the plan's customers and events only (no random draw, so the
 * rest of the plan, drawn from the seed, stays as it was). Customers are grouped by the months they
 * need, so the work grows with the number of distinct groups, not customers squared. Returns each
 * customer's clock index.
 */
export function assignClocks(
  customers: number,
  eventsByCustomer: ReadonlyMap<number, readonly PlannedEvent[]>,
  months: number,
  perClock: number,
  isFree: (plan: string) => boolean = () => false,
): number[] {
  // Each group: the months its customers need, and its customers not yet placed, lowest index first.
  const groups = new Map<string, {needs: number[]; cost: number; waiting: number[]; next: number}>()
  for (let c = 0; c < customers; c++) {
    const needs = customerStopMonths(eventsByCustomer.get(c) ?? [], months, isFree)
    const key = needs.join(',')
    let group = groups.get(key)
    if (!group) groups.set(key, (group = {needs, cost: stopsFor(needs, months).length, waiting: [], next: 0}))
    group.waiting.push(c)
  }
  const ordered = [...groups.values()].sort(
    (a, b) => b.cost - a.cost || b.needs.length - a.needs.length || a.waiting[0]! - b.waiting[0]!,
  )
  const left = (g: (typeof ordered)[number]) => g.next < g.waiting.length
  const clockOf = new Array<number>(customers)
  let clock = 0
  for (const opener of ordered) {
    while (left(opener)) {
      const onClock = new Set(opener.needs)
      clockOf[opener.waiting[opener.next++]!] = clock
      for (let seat = 1; seat < perClock; seat++) {
        let best: (typeof ordered)[number] | undefined
        let bestCost = Infinity
        let bestAdded = Infinity
        for (const group of ordered) {
          if (!left(group)) continue
          const union = new Set([...onClock, ...group.needs])
          const cost = stopsFor([...union], months).length
          const added = union.size - onClock.size
          const better =
            cost < bestCost ||
            (cost === bestCost && added < bestAdded) ||
            (cost === bestCost && added === bestAdded && group.waiting[group.next]! < best!.waiting[best!.next]!)
          if (better) {
            best = group
            bestCost = cost
            bestAdded = added
          }
        }
        if (!best) break
        clockOf[best.waiting[best.next++]!] = clock
        for (const m of best.needs) onClock.add(m)
      }
      clock++
    }
  }
  return clockOf
}
