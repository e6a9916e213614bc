import Bottleneck from 'bottleneck'
import {setMaxListeners} from 'node:events'

import type {SchedulerSettings} from '../config/schema.js'
import {RunInterrupted} from '../errors.js'

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
/** Until the API has answered once, a connection failure is retried this long only: a wrong --api-base or no network fails fast. */
export const UNREACHED_RETRY_MS = 5000
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Every Stripe request goes through here. A lane is one unit of sequential work (a test clock and
 * its customers); each lane gets `perLaneRps`, all lanes share `maxInFlight` concurrent requests and
 * an account-wide `maxRps` ceiling under Stripe's 25 req/s test-mode limit (SB-6).
 * Every retry happens here, none in the SDK (it gives up after two, and never retries a plain 429,
 * SB-G1); a retry goes back through the limiters so it cannot burst.
 */
export class RequestScheduler {
  readonly stats: SchedulerStats = {calls: 0, rateLimited: 0, retries: 0}
  private readonly account: Bottleneck
  private readonly lanes: Bottleneck.Group
  private readonly stopping = new AbortController()
  /** Requests handed to the SDK, each of our retries included (the SDK may resend one once more itself). */
  attempts = 0
  private inFlight = 0
  /** Whether the API has answered anything yet (an error response counts). */
  private reached = false
  private readonly idleWaiters: Array<() => void> = []

  constructor(
    private readonly settings: SchedulerSettings,
    private readonly options: {random?: () => number; sleep?: Sleep; now?: () => number} = {},
  ) {
    // Every request waiting out a backoff listens for the stop: thousands at once is normal, not a leak.
    setMaxListeners(0, this.stopping.signal)
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
   *
   * A transient failure (see isTransient) is sent again, with backoff and the same idempotency key
   * (the caller's options object is reused), until `retryForSeconds` have passed since the first
   * attempt; then it surfaces. After stopNewWork() nothing more is sent.
   */
  async run<T>(lane: string, request: () => Promise<T>, priority = DEFAULT_PRIORITY): Promise<T> {
    this.stats.calls++
    const options = {priority: Math.max(0, Math.min(9, Math.round(priority)))}
    const now = this.options.now ?? Date.now
    const started = now()
    let waited = 0
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.lanes.key(lane).schedule(options, () => this.send(request))
      } catch (error) {
        if (error instanceof RunInterrupted || !isTransient(error)) throw error
        const wait = this.backoffMs(attempt)
        const limitMs =
          this.reached || !isConnectionError(error)
            ? this.settings.retryForSeconds * 1000
            : Math.min(UNREACHED_RETRY_MS, this.settings.retryForSeconds * 1000)
        // Time waited counts even where sleeps are simulated: the limit is reached either way.
        if (Math.max(now() - started, waited) + wait > limitMs) throw error
        if (isRateLimited(error)) this.stats.rateLimited++
        this.stats.retries++
        waited += wait
        await this.pause(wait)
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

  /** From now on every request not yet sent fails with RunInterrupted; requests in flight finish. */
  stopNewWork(): void {
    this.stopping.abort()
  }

  /** Resolves when no request is in flight (at once if none is). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  async stop(): Promise<void> {
    await this.account.stop({dropWaitingJobs: true}).catch(() => {})
    for (const limiter of this.lanes.limiters()) await limiter.limiter.stop({dropWaitingJobs: true}).catch(() => {})
  }

  private async send<T>(request: () => Promise<T>): Promise<T> {
    if (this.stopping.signal.aborted) throw new RunInterrupted()
    this.attempts++
    this.inFlight++
    try {
      const result = await request()
      this.reached = true
      return result
    } catch (error) {
      if (!isConnectionError(error)) this.reached = true
      throw error
    } finally {
      if (--this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve()
    }
  }

  /** A backoff wait, cut short by stopNewWork(). */
  private pause(ms: number): Promise<void> {
    const signal = this.stopping.signal
    if (signal.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done, {once: true})
      void (this.options.sleep ?? realSleep)(ms).then(done)
    })
  }
}

function isConnectionError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as {type?: string}).type === 'StripeConnectionError'
}

export function isRateLimited(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as {statusCode?: number}).statusCode === 429
}

/**
 * Failures worth sending again with the same idempotency key: 429 (rate limit or lock_timeout,
 * SB-G1), 409 (a request with the same key still in progress), 5xx and connection
 * errors (dropped, timed out) — unless Stripe says `Stripe-Should-Retry: false` (SB-G1). A 4xx is a
 * real failure; so is anything that is not a Stripe error.
 */
export function isTransient(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const {statusCode, type, headers} = error as {
    statusCode?: number
    type?: string
    headers?: Record<string, string | undefined>
  }
  if (headers?.['stripe-should-retry'] === 'false') return false
  if (type === 'StripeConnectionError') return true
  if (statusCode === undefined) return false
  return statusCode === 429 || statusCode === 409 || statusCode >= 500
}
