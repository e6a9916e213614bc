import type {SchedulerSettings} from '../config/schema.js'
import type {EventKind, Scenario} from './plan.js'

export interface RunEstimate {
  requests: number
  requestsPerCustomer: number
  /** Seconds if requests were the only limit: requests / account-wide ceiling. */
  requestBoundSeconds: number
  /** Seconds for one clock's sequential work at the per-lane rate, plus its advances. */
  laneBoundSeconds: number
  /** The larger of the two: no run can be faster. */
  seconds: number
  assumedAdvanceSeconds: number
}

/** Clocks one `test_clocks.list` page reports (SB-15). */
const CLOCKS_PER_LIST_PAGE = 100

/**
 * Requests a run makes and the time it needs under the scheduler's limits. Per clock: create it,
 * then per customer a customer and a subscription; per month an advance and one subscription list;
 * one request per plan change or cancellation, two per past-due card (attach, make default);
 * finally the clock's deletion by the next run's cleanup is not counted. The shared clock watcher
 * adds about one list page per 100 clocks per poll.
 */
export function estimateRun(
  scenario: Scenario,
  scheduler: SchedulerSettings,
  assumedAdvanceSeconds = 10,
  pollsPerMonth = 6,
): RunEstimate {
  const clocks = scenario.clocks.length
  const customers = scenario.customers.length
  const eventRequests = scenario.events.reduce((sum, event) => sum + requestsFor(event.kind), 0)
  // A timed event needs its clock advanced to its time first: one more advance per clock and time.
  const stops = midMonthStops(scenario)
  const extraAdvances = [...stops.values()].reduce((sum, times) => sum + times.size, 0)
  const watcher = scenario.months * pollsPerMonth * Math.ceil(clocks / CLOCKS_PER_LIST_PAGE)
  const requests = clocks * (1 + 2 * scenario.months) + customers * 2 + eventRequests + extraAdvances + watcher
  const perClock = Math.max(...scenario.clocks.map((clock) => clock.customers.length), 0)
  const busiest = Math.max(0, ...[...stops.values()].map((times) => times.size))
  const laneRequests = 1 + perClock * 2 + scenario.months * (2 + perClock) + busiest * 2
  const laneBoundSeconds = laneRequests / scheduler.perLaneRps + (scenario.months + busiest) * assumedAdvanceSeconds
  const requestBoundSeconds = requests / scheduler.maxRps
  return {
    requests,
    requestsPerCustomer: requests / customers,
    requestBoundSeconds,
    laneBoundSeconds,
    seconds: Math.max(requestBoundSeconds, laneBoundSeconds),
    assumedAdvanceSeconds,
  }
}

/** Requests per planned event: Stripe's own transitions need none, a failing card two (attach, make default). */
function requestsFor(kind: EventKind): number {
  if (kind === 'trial_end' || kind === 'subscription_end') return 0
  return kind === 'past_due' ? 2 : 1
}

/** Per clock, the distinct times inside a month its clock must stop at for requested timed events. */
function midMonthStops(scenario: Scenario): Map<number, Set<number>> {
  const stops = new Map<number, Set<number>>()
  for (const event of scenario.events) {
    if (event.at === undefined || requestsFor(event.kind) === 0) continue
    const clock = scenario.customers[event.customer]!.clock
    const times = stops.get(clock) ?? new Set<number>()
    stops.set(clock, times.add(event.at))
  }
  return stops
}
