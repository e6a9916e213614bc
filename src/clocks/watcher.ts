import type Stripe from 'stripe'

import {RunInterrupted} from '../errors.js'
import type {StripeGateway} from '../stripe/gateway.js'
import {after} from '../stripe/pagination.js'

export class ClockFailure extends Error {
  constructor(
    readonly clockId: string,
    readonly reason: 'internal_failure' | 'timeout' | 'deleted',
    message: string,
  ) {
    super(message)
  }
}

/** What a waiter learns: plain data, never the SDK object (it pins its HTTP response, see generate.ts). */
export interface ReadyClock {
  id: string
  frozenTime: number
}

interface Waiter {
  clockId: string
  target: number
  /** When the wait began: just after the advance was sent. */
  since: number
  deadline: number
  resolve: (clock: ReadyClock) => void
  reject: (error: Error) => void
}

export interface WatcherOptions {
  minPollMs?: number
  maxPollMs?: number
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

const PAGE_SIZE = 100
const LANE = 'clock-watcher'
/** A new waiter's first poll comes after this share of the fastest advance seen: room for one faster than any before. */
const FIRST_POLL_SHARE = 0.75

/**
 * Waits for advancing test clocks. One `test_clocks.list` page reports up to 100 clocks with their
 * status (SB-15), so all waiting clocks share one poll instead of one retrieve each; paging
 * stops as soon as every waiting clock has been seen. Polls quickly at first and backs off while
 * nothing changes; a new waiter or a finished clock brings the pace back up.
 *
 * Stripe does not say how long an advance takes (SB-11), so the watcher learns it: once a clock
 * has been seen ready, no poll goes out for a new waiter before FIRST_POLL_SHARE of the fastest
 * advance seen so far has passed. Every advance does a clock's billing work, so none is much
 * faster than the fastest before it; the polls a new advance used to cost in its first second
 * bought nothing. While another waiter is due, polls go on at the usual pace and serve both.
 */
export class ClockWatcher {
  private readonly waiters = new Map<string, Waiter>()
  // eslint-disable-next-line @typescript-eslint/no-unused-private-class-members -- read by `??=` below: one loop at a time
  private running?: Promise<void>
  private interval: number
  private readonly minPollMs: number
  private readonly maxPollMs: number
  private readonly now: () => number
  private readonly sleep: (ms: number) => Promise<void>
  /** The shortest wait that ended ready: an upper bound on the fastest advance, poll lag included. */
  private fastestMs?: number
  polls = 0

  constructor(
    private readonly gateway: StripeGateway,
    options: WatcherOptions = {},
  ) {
    this.minPollMs = options.minPollMs ?? 300
    this.maxPollMs = options.maxPollMs ?? 3000
    this.interval = this.minPollMs
    this.now = options.now ?? Date.now
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
  }

  /**
   * Resolves when the clock reads `ready` at or past `target`; rejects on internal_failure or timeout.
   * An aborted signal stops the wait at once: the advance goes on in Stripe, and a resumed run waits again.
   */
  waitUntilReady(clockId: string, target: number, timeoutMs: number, signal?: AbortSignal): Promise<ReadyClock> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new RunInterrupted())
      const stop = () => {
        if (this.waiters.get(clockId)?.reject !== settle.reject) return
        this.waiters.delete(clockId)
        reject(new RunInterrupted())
      }
      const settle = {
        resolve: (clock: ReadyClock) => {
          signal?.removeEventListener('abort', stop)
          resolve(clock)
        },
        reject: (error: Error) => {
          signal?.removeEventListener('abort', stop)
          reject(error)
        },
      }
      signal?.addEventListener('abort', stop, {once: true})
      const since = this.now()
      this.waiters.set(clockId, {clockId, target, since, deadline: since + timeoutMs, ...settle})
      this.interval = this.minPollMs
      this.running ??= this.loop().finally(() => {
        this.running = undefined
      })
    })
  }

  private async loop(): Promise<void> {
    while (this.waiters.size > 0) {
      await this.sleep(Math.max(this.interval, this.firstDue() - this.now()))
      const settled = await this.poll().catch((error: unknown) => {
        // A failed poll (after the scheduler's and SDK's retries) fails every waiter rather than hang.
        for (const waiter of this.waiters.values())
          waiter.reject(error instanceof Error ? error : new Error(String(error)))
        this.waiters.clear()
        return 0
      })
      this.interval = settled > 0 ? this.minPollMs : Math.min(this.maxPollMs, Math.round(this.interval * 1.5))
    }
  }

  /** When the earliest waiter is worth a poll (a waiter before any clock was seen ready: at once). */
  private firstDue(): number {
    const delay = this.fastestMs === undefined ? 0 : this.fastestMs * FIRST_POLL_SHARE
    let due = Infinity
    for (const waiter of this.waiters.values()) due = Math.min(due, waiter.since + delay)
    return due
  }

  private async poll(): Promise<number> {
    this.polls++
    const unseen = new Set(this.waiters.keys())
    let settled = 0
    let startingAfter: string | undefined
    while (unseen.size > 0) {
      // First in line: every waiting clock's next step hangs on this answer.
      const query = {limit: PAGE_SIZE, ...after(startingAfter)}
      const page = await this.gateway.read(LANE, (stripe) => stripe.testHelpers.testClocks.list(query), 0)
      for (const clock of page.data) {
        unseen.delete(clock.id)
        if (this.settle(clock)) settled++
      }
      if (!page.has_more || page.data.length === 0) break
      startingAfter = page.data.at(-1)?.id
    }
    for (const clockId of unseen) {
      const waiter = this.waiters.get(clockId)
      if (!waiter) continue
      this.waiters.delete(clockId)
      waiter.reject(
        new ClockFailure(
          clockId,
          'deleted',
          `Test clock ${clockId} disappeared while advancing (deleted by someone else?)`,
        ),
      )
      settled++
    }
    const now = this.now()
    for (const waiter of [...this.waiters.values()]) {
      if (now < waiter.deadline) continue
      this.waiters.delete(waiter.clockId)
      waiter.reject(
        new ClockFailure(
          waiter.clockId,
          'timeout',
          `Test clock ${waiter.clockId} was still advancing after the advance timeout`,
        ),
      )
      settled++
    }
    return settled
  }

  private settle(clock: Stripe.TestHelpers.TestClock): boolean {
    const waiter = this.waiters.get(clock.id)
    if (!waiter) return false
    if (clock.status === 'internal_failure') {
      this.waiters.delete(clock.id)
      waiter.reject(
        new ClockFailure(
          clock.id,
          'internal_failure',
          `Test clock ${clock.id} reported internal_failure; Stripe cannot advance it further`,
        ),
      )
      return true
    }
    if (clock.status === 'ready' && clock.frozen_time >= waiter.target) {
      this.waiters.delete(clock.id)
      const waited = this.now() - waiter.since
      this.fastestMs = Math.min(this.fastestMs ?? waited, waited)
      waiter.resolve({id: clock.id, frozenTime: clock.frozen_time})
      return true
    }
    return false
  }
}
