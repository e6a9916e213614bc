import Bottleneck from 'bottleneck'

import type {SchedulerSettings} from '../config/schema.js'

export interface SchedulerStats {
  /** Calls handed to the scheduler. */
  calls: number
  /** Rate-limited (429) responses. */
  rateLimited: number
  /** Calls sent again after a 429. */
  retries: number
}

export type Sleep = (ms: number) => Promise<void>
export const DEFAULT_PRIORITY = 5
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Every Stripe request goes through here. A lane is one unit of sequential work (a test clock and
 * its customers); each lane gets `perLaneRps`, all lanes share `maxInFlight` concurrent requests and
 * an account-wide `maxRps` ceiling under Stripe's 25 req/s test-mode limit (stripe-facts #12).
 * Rate-limit 429s are retried here because stripe-node does not retry them (#14); the retry goes
 * back through the limiters so it cannot burst.
 */
export class RequestScheduler {
  readonly stats: SchedulerStats = {calls: 0, rateLimited: 0, retries: 0}
  private readonly account: Bottleneck
  private readonly lanes: Bottleneck.Group

  constructor(
    private readonly settings: SchedulerSettings,
    private readonly options: {random?: () => number; sleep?: Sleep} = {},
  ) {
    this.account = new Bottleneck({maxConcurrent: settings.maxInFlight, minTime: Math.ceil(1000 / settings.maxRps)})
    this.lanes = new Bottleneck.Group({minTime: Math.ceil(1000 / settings.perLaneRps)})
    this.lanes.on('created', (limiter) => {
      limiter.chain(this.account)
    })
  }

  /**
   * `priority` 0 (first) to 9 (last) orders waiting requests across lanes. A run passes each
   * clock's month, so the clocks furthest behind go first: no clock starts its months while others
   * still wait to be created, and the last clock, which bounds the run, is never starved.
   */
  async run<T>(lane: string, request: () => Promise<T>, priority = DEFAULT_PRIORITY): Promise<T> {
    this.stats.calls++
    const options = {priority: Math.max(0, Math.min(9, Math.round(priority)))}
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.lanes.key(lane).schedule(options, request)
      } catch (error) {
        if (!isRateLimited(error) || attempt >= this.settings.maxRetries) throw error
        this.stats.rateLimited++
        this.stats.retries++
        await (this.options.sleep ?? realSleep)(this.backoffMs(attempt))
      }
    }
  }

  /** Requests waiting for an account-wide slot. */
  waiting(): number {
    return this.account.queued()
  }

  /** Exponential backoff with full jitter, capped at 8 s. */
  backoffMs(attempt: number): number {
    const ceiling = Math.min(this.settings.retryBaseMs * 2 ** attempt, 8000)
    return Math.round(ceiling / 2 + (ceiling / 2) * (this.options.random ?? Math.random)())
  }

  async stop(): Promise<void> {
    await this.account.stop({dropWaitingJobs: true}).catch(() => {})
    for (const limiter of this.lanes.limiters()) await limiter.limiter.stop({dropWaitingJobs: true}).catch(() => {})
  }
}

export function isRateLimited(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as {statusCode?: number}).statusCode === 429
}
