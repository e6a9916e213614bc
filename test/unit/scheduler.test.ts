import nock from 'nock'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {defaultConfig} from '../../src/config/schema.js'
import {ClockFailure, ClockWatcher} from '../../src/clocks/watcher.js'
import {RunInterrupted} from '../../src/errors.js'
import {RequestScheduler, isTransient} from '../../src/stripe/scheduler.js'
import {StripeGateway} from '../../src/stripe/gateway.js'
import {interceptAll, list} from '../helpers/fake-stripe.js'

const settings = {...defaultConfig().scheduler, perLaneRps: 1000, maxRps: 1000, retryBaseMs: 100}
const rateLimited = () => Object.assign(new Error('Too many requests'), {statusCode: 429})

afterEach(() => {
  nock.cleanAll()
  nock.enableNetConnect()
})

describe('RequestScheduler', () => {
  it('never has more than maxInFlight requests in flight across lanes', async () => {
    const scheduler = new RequestScheduler({...settings, maxInFlight: 3})
    // Each request stays in flight until the test lets it finish, so how many run at once depends on
    // the scheduler alone, not on how fast this machine is.
    const finishers: Array<() => void> = []
    let inFlight = 0
    let peak = 0
    const job = () => async () =>
      new Promise<void>((resolve) => {
        inFlight++
        peak = Math.max(peak, inFlight)
        finishers.push(() => {
          inFlight--
          resolve()
        })
      })
    const all = Promise.all(Array.from({length: 30}, (_, i) => scheduler.run(`lane-${i % 7}`, job())))
    for (let finished = 0; finished < 30; finished++) {
      await vi.waitUntil(() => finishers.length === Math.min(3, 30 - finished), {timeout: 10_000})
      expect(inFlight).toBe(finishers.length)
      finishers.shift()!()
    }
    await all
    expect(peak).toBe(3)
    expect(scheduler.stats.calls).toBe(30)
  })

  it('retries rate-limited requests with growing, jittered backoff, and nothing else', async () => {
    const waits: number[] = []
    const scheduler = new RequestScheduler(settings, {random: () => 0.5, sleep: async (ms) => void waits.push(ms)})
    let attempts = 0
    await expect(scheduler.run('a', async () => (++attempts < 4 ? Promise.reject(rateLimited()) : 'ok'))).resolves.toBe(
      'ok',
    )
    expect(attempts).toBe(4)
    expect(waits).toEqual([75, 150, 300]) // base 100 × 2^n, jittered into [half, full]: 0.5 → three quarters
    expect(scheduler.stats).toMatchObject({rateLimited: 3, retries: 3})

    let other = 0
    await expect(
      scheduler.run('a', async () =>
        Promise.reject(Object.assign(new Error('bad'), {statusCode: 400, attempt: ++other})),
      ),
    ).rejects.toThrow('bad')
    expect(other).toBe(1)
  })

  it('gives up once retryForSeconds have passed and surfaces the last failure', async () => {
    // Waits of 75, 150, then 300 ms would pass half a second: two retries, then the 429 surfaces.
    const scheduler = new RequestScheduler(
      {...settings, retryForSeconds: 0.5},
      {random: () => 0.5, sleep: async () => {}},
    )
    let attempts = 0
    await expect(
      scheduler.run('a', async () => Promise.reject(Object.assign(rateLimited(), {n: ++attempts}))),
    ).rejects.toMatchObject({statusCode: 429})
    expect(attempts).toBe(3)
  })

  it('retries 5xx, 409 and dropped connections as transient; a 4xx, Stripe-Should-Retry: false or our own bug never', () => {
    expect([500, 502, 503, 409, 429].map((statusCode) => isTransient({statusCode}))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ])
    expect(isTransient({type: 'StripeConnectionError'})).toBe(true)
    expect([400, 402, 404].map((statusCode) => isTransient({statusCode}))).toEqual([false, false, false])
    expect(isTransient({statusCode: 501, headers: {'stripe-should-retry': 'false'}})).toBe(false)
    expect(isTransient(new TypeError('x is undefined'))).toBe(false)
  })

  it('a connection failure before the API ever answered gives up after 5 s (a wrong --api-base); once it has answered, the full retry time applies', async () => {
    const dropped = () => Object.assign(new Error('connect ECONNREFUSED'), {type: 'StripeConnectionError'})
    const waits: number[] = []
    const scheduler = new RequestScheduler(
      {...settings, retryBaseMs: 500, retryForSeconds: 300},
      {random: () => 1, sleep: async (ms) => void waits.push(ms)},
    )
    await expect(scheduler.run('a', async () => Promise.reject(dropped()))).rejects.toMatchObject({
      type: 'StripeConnectionError',
    })
    expect(waits).toEqual([500, 1000, 2000]) // the next, 4000, would pass 5 s
    await scheduler.run('a', async () => 'answered')
    waits.length = 0
    let attempts = 0
    await expect(scheduler.run('a', async () => (++attempts < 8 ? Promise.reject(dropped()) : 'ok'))).resolves.toBe(
      'ok',
    )
    expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000])
  })

  it('after stopNewWork sends nothing more: waiting requests fail with RunInterrupted, requests in flight finish', async () => {
    const scheduler = new RequestScheduler({...settings, maxInFlight: 1})
    let release!: () => void
    const inFlight = scheduler.run('a', () => new Promise<string>((resolve) => (release = () => resolve('done'))))
    let sentLater = false
    const waiting = scheduler.run('b', async () => void (sentLater = true))
    // eslint-disable-next-line no-unmodified-loop-condition -- the promise executor above sets it
    while (release === undefined) await new Promise((resolve) => setImmediate(resolve))
    scheduler.stopNewWork()
    const idle = scheduler.idle()
    release()
    await expect(inFlight).resolves.toBe('done')
    await expect(waiting).rejects.toBeInstanceOf(RunInterrupted)
    await idle
    expect(sentLater).toBe(false)
  })

  it('runs waiting requests by priority across lanes: the clocks furthest behind go first', async () => {
    const scheduler = new RequestScheduler({...settings, maxInFlight: 1})
    const order: string[] = []
    let release!: () => void
    const blocker = scheduler.run('busy', () => new Promise<void>((resolve) => (release = resolve)))
    const until = async (condition: () => boolean) => {
      while (!condition()) await new Promise((resolve) => setImmediate(resolve))
    }
    await until(() => release !== undefined) // the blocker holds the only slot
    const queued = [
      scheduler.run('clock:a', async () => void order.push('a month 3'), 3),
      scheduler.run('clock:b', async () => void order.push('b month 1'), 1),
      scheduler.run('watcher', async () => void order.push('poll'), 0),
      scheduler.run('clock:c', async () => void order.push('c month 2'), 2),
    ]
    await until(() => scheduler.waiting() === 4)
    release()
    await Promise.all([blocker, ...queued])
    expect(order).toEqual(['poll', 'b month 1', 'c month 2', 'a month 3'])
  })

  it('caps backoff at 8 seconds', () => {
    const scheduler = new RequestScheduler(settings, {random: () => 1})
    expect(scheduler.backoffMs(20)).toBe(8000)
  })
})

describe('ClockWatcher', () => {
  const clock = (id: string, status: string, frozen: number) => ({
    id,
    object: 'test_helpers.test_clock',
    status,
    frozen_time: frozen,
    name: null,
    created: 1,
    livemode: false,
    status_details: {},
    deletes_after: 2,
  })
  const gateway = () => new StripeGateway({apiKey: 'sk_test_watch', scheduler: settings})

  it('watches every advancing clock with one list call per poll, resolving each when ready at its target', async () => {
    const polls = [
      [clock('clock_a', 'advancing', 0), clock('clock_b', 'advancing', 0), clock('clock_c', 'advancing', 0)],
      [clock('clock_a', 'ready', 100), clock('clock_b', 'advancing', 0), clock('clock_c', 'ready', 100)],
      [clock('clock_a', 'ready', 100), clock('clock_b', 'ready', 100), clock('clock_c', 'ready', 100)],
    ]
    let calls = 0
    interceptAll()
      .persist()
      .get('/v1/test_helpers/test_clocks')
      .query(true)
      .reply(() => [200, list(polls[Math.min(calls++, 2)]!, '/v1/test_helpers/test_clocks')])
    const watcher = new ClockWatcher(gateway(), {minPollMs: 1, maxPollMs: 2})
    const ready = await Promise.all(
      ['clock_a', 'clock_b', 'clock_c'].map((id) => watcher.waitUntilReady(id, 100, 60_000)),
    )
    expect(ready.map((c) => c.id)).toEqual(['clock_a', 'clock_b', 'clock_c'])
    expect(calls).toBe(3)
    expect(watcher.polls).toBe(3)
  })

  it('pages only until every waiting clock has been seen', async () => {
    const pages: Record<string, unknown> = {
      first: {
        object: 'list',
        data: Array.from({length: 100}, (_, i) => clock(`clock_${i}`, 'ready', 100)),
        has_more: true,
        url: '',
      },
      second: {object: 'list', data: [clock('clock_late', 'ready', 100)], has_more: true, url: ''},
    }
    const seen: string[] = []
    interceptAll()
      .persist()
      .get('/v1/test_helpers/test_clocks')
      .query(true)
      .reply((uri) => {
        const page = uri.includes('starting_after') ? 'second' : 'first'
        seen.push(page)
        return [200, pages[page]]
      })
    const watcher = new ClockWatcher(gateway(), {minPollMs: 1})
    await Promise.all([
      watcher.waitUntilReady('clock_3', 100, 60_000),
      watcher.waitUntilReady('clock_late', 100, 60_000),
    ])
    expect(seen).toEqual(['first', 'second'])
  })

  it('learns how long an advance takes: a later advance is not polled before 3/4 of the fastest one seen', async () => {
    // Each clock is ready 3 s after its wait begins; time moves only when the watcher sleeps.
    let now = 0
    const readyAt = new Map<string, number>()
    const polledAt: number[] = []
    interceptAll()
      .persist()
      .get('/v1/test_helpers/test_clocks')
      .query(true)
      .reply(() => {
        polledAt.push(now)
        const clocks = [...readyAt].map(([id, at]) => clock(id, now >= at ? 'ready' : 'advancing', now >= at ? 100 : 0))
        return [200, list(clocks, '/v1/test_helpers/test_clocks')]
      })
    const watcher = new ClockWatcher(gateway(), {now: () => now, sleep: async (ms) => void (now += ms)})
    readyAt.set('clock_first', 3000)
    await watcher.waitUntilReady('clock_first', 100, 60_000)
    const firstWait = now
    const firstPolls = polledAt.length
    expect(firstPolls).toBeGreaterThan(2) // nothing learned yet: it polls from 300 ms on

    const secondStart = now
    readyAt.set('clock_second', secondStart + 3000)
    await watcher.waitUntilReady('clock_second', 100, 60_000)
    const secondPolls = polledAt.slice(firstPolls)
    expect(secondPolls.length).toBeGreaterThan(0)
    expect(Math.min(...secondPolls)).toBeGreaterThanOrEqual(secondStart + 0.75 * firstWait)
    expect(secondPolls.length).toBeLessThan(firstPolls)
    expect(now - secondStart).toBeLessThanOrEqual(firstWait) // no later than the first, though polled less
  })

  it('rejects on internal_failure, on timeout, and when the clock disappears', async () => {
    interceptAll()
      .persist()
      .get('/v1/test_helpers/test_clocks')
      .query(true)
      .reply(
        200,
        list(
          [clock('clock_broken', 'internal_failure', 0), clock('clock_slow', 'advancing', 0)],
          '/v1/test_helpers/test_clocks',
        ),
      )
    let now = 0
    const watcher = new ClockWatcher(gateway(), {minPollMs: 1, now: () => now, sleep: async () => void (now += 1000)})
    const results = await Promise.allSettled([
      watcher.waitUntilReady('clock_broken', 100, 60_000),
      watcher.waitUntilReady('clock_slow', 100, 5000),
      watcher.waitUntilReady('clock_gone', 100, 60_000),
    ])
    const reasons = results.map((r) => (r.status === 'rejected' ? (r.reason as ClockFailure).reason : 'resolved'))
    expect(reasons).toEqual(['internal_failure', 'timeout', 'deleted'])
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof ClockFailure)).toBe(true)
  })
})
