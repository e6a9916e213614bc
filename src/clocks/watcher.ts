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

/**
 * Waits for advancing test clocks. One `test_clocks.list` page reports up to 100 clocks with their
 * status (SB-15), so all waiting clocks share one poll instead of one retrieve each; paging
 * stops as soon as every waiting clock has been seen. Polls quickly at first and backs off while
 * nothing changes; a new waiter or a finished clock brings the pace back up.
 */
export class ClockWatcher {
  private readonly waiters = new Map<string, Waiter>()
  private running?: Promise<void>
  private interval: number
  private readonly minPollMs: number
  private readonly maxPollMs: number
  private readonly now: () => number
  private readonly sleep: (ms: number) => Promise<void>
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
      this.waiters.set(clockId, {clockId, target, deadline: this.now() + timeoutMs, ...settle})
      this.interval = this.minPollMs
      this.running ??= this.loop().finally(() => {
        this.running = undefined
      })
    })
  }

  private async loop(): Promise<void> {
    while (this.waiters.size > 0) {
      await this.sleep(this.interval)
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

  private async poll(): Promise<number> {
    this.polls++
    const unseen = new Set(this.waiters.keys())
    let settled = 0
    let startingAfter: string | undefined
    while (unseen.size > 0) {
      // First in line: every waiting clock's next step hangs on this answer.
      const page = await this.gateway.read(
        LANE,
        (stripe) => stripe.testHelpers.testClocks.list({limit: PAGE_SIZE, ...after(startingAfter)}),
        0,
      )
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
      waiter.resolve({id: clock.id, frozenTime: clock.frozen_time})
      return true
    }
    return false
  }
}
