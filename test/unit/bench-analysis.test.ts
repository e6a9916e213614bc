import {describe, expect, it} from 'vitest'

import {bounds, clockTimelines, wouldBeRateLimited} from '../../bench/analysis.js'
import type {AdvanceLogEntry, RequestLogEntry} from '../../src/emulator/server.js'

// A run of two clocks (c0, c1), 100 ms a request: each is created (clock + customer), then
// advanced once (c0 for 2 s, c1 for 3 s), seen by a watcher poll, then read back.
const req = (at: number, method: string, path: string, extra: Partial<RequestLogEntry> = {}): RequestLogEntry => ({
  at,
  method,
  path,
  status: 200,
  latencyMs: 100,
  ...extra,
})
const key = (clock: number, month: number, action: string) => `stripe-seed:run:c${clock}:m${month}:u-:${action}`
const log: RequestLogEntry[] = [
  req(0, 'GET', '/v1/test_helpers/test_clocks'),
  req(100, 'POST', '/v1/test_helpers/test_clocks', {idempotencyKey: key(0, 0, 'clock')}),
  req(150, 'POST', '/v1/test_helpers/test_clocks', {idempotencyKey: key(1, 0, 'clock')}),
  req(200, 'POST', '/v1/customers', {idempotencyKey: key(0, 0, 'customer'), testClock: 'clock_a'}),
  req(250, 'POST', '/v1/customers', {idempotencyKey: key(1, 0, 'customer'), testClock: 'clock_b'}),
  req(300, 'POST', '/v1/test_helpers/test_clocks/clock_a/advance', {
    idempotencyKey: key(0, 1, 'advance'),
    testClock: 'clock_a',
  }),
  req(400, 'POST', '/v1/test_helpers/test_clocks/clock_b/advance', {
    idempotencyKey: key(1, 1, 'advance'),
    testClock: 'clock_b',
  }),
  req(2500, 'GET', '/v1/test_helpers/test_clocks'),
  req(3600, 'GET', '/v1/test_helpers/test_clocks'),
  req(2600, 'GET', '/v1/subscriptions', {testClock: 'clock_a'}),
  req(3700, 'GET', '/v1/subscriptions', {testClock: 'clock_b'}),
]
const advanceLog: AdvanceLogEntry[] = [
  {clockId: 'clock_a', at: 300, durationMs: 2000},
  {clockId: 'clock_b', at: 400, durationMs: 3000},
]

describe('benchmark bounds', () => {
  it('adds the creation wait at the account ceiling to the slowest clock months', () => {
    const b = bounds({log, advanceLog, stripeRps: 25, ceilingRps: 20})
    expect(b.creationRequests).toBe(4)
    // c1: a 3 s advance and 2 month requests (advance, read back) at the mean 100 ms
    expect(b.slowestChain).toMatchObject({clock: 1, advanceSeconds: 3, requests: 2})
    expect(b.slowestChain.seconds).toBeCloseTo(3.2)
    // creation: the larger of 3 requests at the ceiling plus one latency, and one clock's 2 in a row
    expect(b.true.creationWait).toBeCloseTo(3 / 25 + 0.1)
    expect(b.true.seconds).toBeCloseTo(3 / 25 + 0.1 + 3.2)
    expect(b.atCeiling.seconds).toBeCloseTo(3 / 20 + 0.1 + 3.2)
    // the earlier bound: advances plus an even share of the needed requests (watcher polls excluded)
    expect(b.neededRequests).toBe(9)
    expect(b.today.seconds).toBeCloseTo(3 + 4.5 * 0.1)
  })

  it('splits the last clock time into advancing, poll lag, requests and waiting', () => {
    const t = clockTimelines({log, advanceLog, spawnedAt: -500, exitedAt: 3900})
    expect(t.startup).toBeCloseTo(0.5)
    expect(t.cleanup).toBeCloseTo(0.1)
    expect(t.critical.clock).toBe(1)
    expect(t.finish).toBeCloseTo(0.1)
    // c1: created at 350, advanced at 400 until 3400, seen by the poll answered at 3700, read back until 3800
    expect(t.critical.months).toEqual({advancing: 3, pollLag: 0.3, latency: 0.1, waiting: 0.05})
  })

  it('counts the requests a per-second limit would have refused, refused ones not using the window', () => {
    const burst = [0, 10, 20, 30, 40, 1005, 1020].map((at) => ({at}))
    expect(wouldBeRateLimited(burst, 3)).toBe(2) // 30 and 40; by 1005 the request at 0 has left the window
    expect(wouldBeRateLimited(burst, 10)).toBe(0)
  })
})
