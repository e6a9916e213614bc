import type {SchedulerSettings} from '../config/schema.js'
import type {Scenario} from './plan.js'

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

/** Clocks one `test_clocks.list` page reports (stripe-facts #8). */
const CLOCKS_PER_LIST_PAGE = 100

/**
 * Requests a run makes and the time it needs under the scheduler's limits. Per clock: create it,
 * then per customer a customer and a subscription; per month an advance and one subscription list;
 * one request per plan change or cancellation, two per past-due card (attach, make default);
 * finally the clock's deletion by the next run's cleanup is not counted. The shared clock watcher
 * adds about one list page per 100 clocks per poll.
 */
export function estimateRun(scenario: Scenario, scheduler: SchedulerSettings, assumedAdvanceSeconds = 10, pollsPerMonth = 6): RunEstimate {
  const clocks = scenario.clocks.length
  const customers = scenario.customers.length
  const eventRequests = scenario.events.reduce((sum, event) => sum + (event.kind === 'past_due' ? 2 : 1), 0)
  const watcher = scenario.months * pollsPerMonth * Math.ceil(clocks / CLOCKS_PER_LIST_PAGE)
  const requests = clocks * (1 + 2 * scenario.months) + customers * 2 + eventRequests + watcher
  const perClock = Math.max(...scenario.clocks.map((clock) => clock.customers.length), 0)
  const laneRequests = 1 + perClock * 2 + scenario.months * (2 + perClock)
  const laneBoundSeconds = laneRequests / scheduler.perLaneRps + scenario.months * assumedAdvanceSeconds
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
