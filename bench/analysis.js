// What a benchmark run's emulator logs say: lower bounds, a per-clock timeline of where the wall
// time went, and the 429s a design without rate-limit handling would have met. Pure functions over
// the emulator's requestLog (arrival `at`, `latencyMs` to the response) and advanceLog.

export const WATCHER_POLL = {method: 'GET', path: '/v1/test_helpers/test_clocks'}
const isClockList = (e) => e.method === WATCHER_POLL.method && e.path === WATCHER_POLL.path
const KEY = /:c(\d+):m(\d+):/

/**
 * The requests a limit of `limit` per rolling second would have refused, replayed the way the
 * emulator counts (a refused request does not use up the window).
 */
export function wouldBeRateLimited(log, limit) {
  const arrivals = log.map((e) => e.at).sort((a, b) => a - b)
  const window = []
  let refused = 0
  for (const at of arrivals) {
    while (window.length > 0 && window[0] <= at - 1000) window.shift()
    if (window.length >= limit) refused++
    else window.push(at)
  }
  return refused
}

/**
 * Each of stripe-seed's requests with its clock (by index) and month, from its idempotency key
 * (`…:c<clock>:m<month>:…`) or, for reads, the test clock it names. Watcher polls and the cleanup's
 * clock list belong to no clock.
 */
export function attribute(log) {
  const clockOfId = new Map()
  for (const e of log) {
    const m = e.idempotencyKey && KEY.exec(e.idempotencyKey)
    if (m && e.testClock) clockOfId.set(e.testClock, Number(m[1]))
  }
  const firstWrite = Math.min(...log.filter((e) => e.method === 'POST').map((e) => e.at))
  return log.map((e) => {
    const m = e.idempotencyKey && KEY.exec(e.idempotencyKey)
    if (m) return {...e, clock: Number(m[1]), month: Number(m[2])}
    if (e.testClock !== undefined && clockOfId.has(e.testClock))
      return {...e, clock: clockOfId.get(e.testClock), month: undefined}
    if (isClockList(e)) return {...e, role: e.at < firstWrite ? 'cleanup' : 'watcher'}
    return {...e, role: 'other'}
  })
}

/**
 * Lower bounds for one run of stripe-seed.
 * - `today`: the bound BENCHMARKS.md used until 2026-11-25: the larger of every needed request at
 *   Stripe's rate, and the slowest clock's advances plus an even share of all requests at the mean
 *   latency. It counts the creation wait as free.
 * - `true`: the creation wait (the last clock cannot start its months before every creation request
 *   has passed the account ceiling and been answered) plus the slowest clock's months: its advances as the emulator timed them
 *   and its own month requests at the mean latency (the advance request's latency stands in for
 *   the one read that learns the advance is done). Given at Stripe's 25 req/s and at our ceiling.
 */
export function bounds({log, advanceLog, stripeRps, ceilingRps}) {
  const requests = attribute(log).filter((e) => e.status !== 429)
  const meanLatencyMs = requests.reduce((s, e) => s + e.latencyMs, 0) / Math.max(1, requests.length)
  const needed = requests.filter((e) => e.role !== 'watcher')
  const clockIndexOfId = new Map(
    requests.filter((e) => e.clock !== undefined && e.testClock).map((e) => [e.testClock, e.clock]),
  )
  const clocks = [...new Set(requests.filter((e) => e.clock !== undefined).map((e) => e.clock))]
  const advanceMs = new Map(clocks.map((c) => [c, 0]))
  for (const a of advanceLog) {
    const c = clockIndexOfId.get(a.clockId)
    if (c !== undefined) advanceMs.set(c, advanceMs.get(c) + a.durationMs)
  }
  const creation = requests.filter((e) => e.clock !== undefined && e.month === 0).length
  const monthRequests = new Map(clocks.map((c) => [c, 0]))
  for (const e of requests)
    if (e.clock !== undefined && e.month !== 0) monthRequests.set(e.clock, monthRequests.get(e.clock) + 1)

  // The run's check of skipped months: one account-wide invoice listing after the last clock, its
  // pages one after another (each needs the previous page's last id).
  const checkPages = requests.filter((e) => e.method === 'GET' && e.path === '/v1/invoices').length
  const checkMs = checkPages * meanLatencyMs
  const share = needed.length / Math.max(1, clocks.length)
  const todayChainMs = Math.max(0, ...clocks.map((c) => advanceMs.get(c) + share * meanLatencyMs))
  const chains = clocks.map((c) => ({
    clock: c,
    ms: advanceMs.get(c) + monthRequests.get(c) * meanLatencyMs,
    advanceMs: advanceMs.get(c),
    requests: monthRequests.get(c),
  }))
  const slowest = chains.reduce((a, b) => (b.ms > a.ms ? b : a), {ms: 0})
  // The last creation request cannot leave before the others have passed the ceiling, and is
  // answered a latency later; nor can a clock be created faster than its own requests in a row.
  const ownCreation = Math.max(0, ...clocks.map((c) => requests.filter((e) => e.clock === c && e.month === 0).length))
  const creationWait = (rps) =>
    Math.max((creation - 1) / rps + meanLatencyMs / 1000, (ownCreation * meanLatencyMs) / 1000)
  return {
    meanLatencyMs,
    neededRequests: needed.length,
    creationRequests: creation,
    today: {
      seconds: Math.max(needed.length / stripeRps, todayChainMs / 1000),
      requestBound: needed.length / stripeRps,
      chainBound: todayChainMs / 1000,
    },
    slowestChain: {
      clock: slowest.clock,
      seconds: slowest.ms / 1000,
      advanceSeconds: (slowest.advanceMs ?? 0) / 1000,
      requests: slowest.requests ?? 0,
    },
    true: {
      seconds: creationWait(stripeRps) + (slowest.ms + checkMs) / 1000,
      creationWait: creationWait(stripeRps),
      checkSeconds: checkMs / 1000,
      rps: stripeRps,
    },
    atCeiling: {
      seconds: creationWait(ceilingRps) + (slowest.ms + checkMs) / 1000,
      creationWait: creationWait(ceilingRps),
      rps: ceilingRps,
    },
  }
}

const WAITING = 0
const POLL_LAG = 1
const LATENCY = 2
const ADVANCING = 3

/**
 * Where each clock's wall time went, from the moment the CLI was spawned to its exit. Every
 * millisecond of a clock's life is one of: advancing (an advance under way), request latency (one
 * of its own requests in flight), poll lag (the advance is done but the watcher has not yet seen
 * it: until the response of the first poll that arrived after it), or waiting (for the scheduler:
 * the account ceiling, the lane's spacing, requests ahead of it, our own code). The split between
 * creation and months is the clock's last creation response.
 */
export function clockTimelines({log, advanceLog, spawnedAt, exitedAt}) {
  const requests = attribute(log).filter((e) => e.at >= spawnedAt)
  const polls = requests.filter((e) => e.role === 'watcher').sort((a, b) => a.at - b.at)
  const clockIndexOfId = new Map(
    requests.filter((e) => e.clock !== undefined && e.testClock).map((e) => [e.testClock, e.clock]),
  )
  const byClock = new Map()
  for (const e of requests)
    if (e.clock !== undefined) (byClock.get(e.clock) ?? byClock.set(e.clock, []).get(e.clock)).push(e)
  const firstRequest = Math.min(...requests.map((e) => e.at))
  const firstCreation = Math.min(...requests.filter((e) => e.month === 0).map((e) => e.at))

  const timelines = [...byClock.entries()].map(([clock, own]) => {
    const end = Math.max(...own.map((e) => e.at + e.latencyMs))
    const length = Math.round(end - firstCreation)
    const state = new Uint8Array(Math.max(0, length))
    const mark = (from, to, s) => {
      for (
        let t = Math.max(0, Math.round(from - firstCreation));
        t < Math.min(length, Math.round(to - firstCreation));
        t++
      )
        if (state[t] < s) state[t] = s
    }
    for (const e of own) mark(e.at, e.at + e.latencyMs, LATENCY)
    const clockId = own.find((e) => e.testClock)?.testClock
    const advances = advanceLog.filter((a) => clockIndexOfId.get(a.clockId) === clock || a.clockId === clockId)
    for (const a of advances) {
      const ready = a.at + a.durationMs
      mark(a.at, ready, ADVANCING)
      const seen = polls.find((p) => p.at >= ready)
      if (seen) mark(ready, seen.at + seen.latencyMs, POLL_LAG)
    }
    const created = Math.round(
      Math.max(...own.filter((e) => e.month === 0).map((e) => e.at + e.latencyMs)) - firstCreation,
    )
    const tally = (from, to) => {
      const out = {waiting: 0, pollLag: 0, latency: 0, advancing: 0}
      for (let t = from; t < to; t++) out[['waiting', 'pollLag', 'latency', 'advancing'][state[t]]]++
      for (const k of Object.keys(out)) out[k] /= 1000
      return out
    }
    return {
      clock,
      end,
      creation: tally(0, created),
      months: tally(created, length),
      advances: advances.length,
      advanceSeconds: advances.reduce((s, a) => s + a.durationMs, 0) / 1000,
    }
  })
  const critical = timelines.reduce((a, b) => (b.end > a.end ? b : a))
  const mean = (pick) => timelines.reduce((s, t) => s + pick(t), 0) / timelines.length
  const phaseMean = (phase) =>
    Object.fromEntries(Object.keys(critical[phase]).map((k) => [k, mean((t) => t[phase][k])]))
  return {
    startup: (firstRequest - spawnedAt) / 1000,
    cleanup: (firstCreation - firstRequest) / 1000,
    finish: (exitedAt - critical.end) / 1000,
    critical,
    mean: {creation: phaseMean('creation'), months: phaseMean('months')},
    clocks: timelines.length,
  }
}
