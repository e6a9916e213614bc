import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {type Config, DEFAULT_PLANS, defaultConfig} from '../../src/config/schema.js'
import {largestRemainder} from '../../src/scenario/distribution.js'
import {estimateRun} from '../../src/scenario/estimate.js'
import {CLOCK_NAME_PREFIX, type Scenario, planScenario} from '../../src/scenario/plan.js'

const START = Date.UTC(2026, 4, 1) / 1000
const config = defaultConfig()
const plan = (customers: number, seed: number, months = 6, cfg: Config = config): Scenario =>
  planScenario({config: cfg, customers, months, seed, startTime: START, runId: 'test-run'})

const planIndex = new Map(DEFAULT_PLANS.map((p, i) => [p.key, i]))
const planOf = (key: string) => DEFAULT_PLANS[planIndex.get(key)!]!

describe('largestRemainder', () => {
  it('returns the weights unchanged at their own total, and always adds up to the total asked for', () => {
    expect(largestRemainder([25, 18, 32, 15, 10], 100)).toEqual([25, 18, 32, 15, 10])
    expect(largestRemainder([25, 18, 32, 15, 10], 10)).toEqual([3, 2, 3, 1, 1])
    fc.assert(
      fc.property(fc.array(fc.nat(1000), {minLength: 1, maxLength: 8}), fc.nat(20_000), (weights, total) => {
        const counts = largestRemainder(weights, total)
        if (weights.every((w) => w === 0)) return counts.every((c) => c === 0)
        const sum = weights.reduce((a, b) => a + b, 0)
        return (
          counts.reduce((a, b) => a + b, 0) === total &&
          counts.every((c, i) => Math.abs(c - (weights[i]! * total) / sum) < 1)
        )
      }),
    )
  })
})

describe('planScenario at the defaults', () => {
  it('matches the original tables exactly at 100 customers', () => {
    const scenario = plan(100, 7)
    expect(scenario.distribution).toEqual({free: 25, standard: 18, pro_plus: 32, engage: 15, enterprise: 10})
    expect(scenario.eventCounts).toEqual({upgrade: 15, downgrade: 2, cancel: 8, past_due: 5})
    expect(scenario.clocks).toHaveLength(34)
    expect(scenario.clocks.at(-1)?.customers).toHaveLength(1)
    expect(scenario.expected).toHaveLength(7)
    expect(scenario.expected.map((month) => month.label)).toEqual([
      '2026-05',
      '2026-06',
      '2026-07',
      '2026-08',
      '2026-09',
      '2026-10',
      '2026-11',
    ])
    // Events spread across all six months.
    expect(new Set(scenario.events.map((event) => event.month))).toEqual(new Set([1, 2, 3, 4, 5, 6]))
    for (const c of scenario.customers) {
      const range = planOf(c.plan).screens
      expect(c.screens).toBeGreaterThanOrEqual(range.min)
      expect(c.screens).toBeLessThanOrEqual(range.max)
    }
  })

  it('gives realistic identities on a reserved domain, and tags each customer with the run', () => {
    const scenario = plan(50, 3)
    for (const c of scenario.customers) {
      expect(c.identity.email).toMatch(/^[a-z0-9.'-]+\.\d+@example\.com$/)
      expect(c.identity.company.length).toBeGreaterThan(2)
      expect(c.identity.contactName).toMatch(/\S+ \S+/)
      expect(c.metadata).toEqual({
        stripe_seed_run: 'test-run',
        stripe_seed_customer: String(c.index),
        stripe_seed_plan: c.plan,
      })
    }
    expect(new Set(scenario.customers.map((c) => c.identity.email)).size).toBe(50)
    for (const clock of scenario.clocks) expect(clock.name.startsWith(`${CLOCK_NAME_PREFIX}test-run:`)).toBe(true)
  })

  it('plans 10,000 customers over 24 months, 3 to a clock', () => {
    // How fast it plans is measured by `npm run bench`, not asserted here: a wall-clock bound fails on a loaded machine.
    const scenario = plan(10_000, 1, 24)
    expect(scenario.customers).toHaveLength(10_000)
    expect(scenario.clocks).toHaveLength(3334)
  })

  it('estimates at most 10 requests per customer for a 6-month run, from 100 customers up', () => {
    // Below that a clock's own requests (create, advances, reads, watcher polls) dominate: one customer costs ~50.
    for (const n of [100, 1000, 10_000])
      expect(estimateRun(plan(n, 1), config.scheduler).requestsPerCustomer).toBeLessThanOrEqual(10)
  })
})

describe('planScenario invariants (property tests over many customers × seed × months)', () => {
  const inputs = fc.record({
    customers: fc.integer({min: 1, max: 400}),
    seed: fc.nat(2 ** 31 - 1),
    months: fc.integer({min: 1, max: 24}),
  })

  it('counts, event rules, screens, clocks and expected MRR hold', () => {
    fc.assert(
      fc.property(inputs, ({customers, seed, months}) => {
        const scenario = plan(customers, seed, months)
        const counts = scenario.eventCounts
        // Counts as documented: largest remainder over [events..., no event], summing to N.
        expect(largestRemainder([15, 2, 8, 5, 70], customers).slice(0, 4)).toEqual([
          counts.upgrade,
          counts.downgrade,
          counts.cancel,
          counts.past_due,
        ])
        expect(Object.values(scenario.distribution).reduce((a, b) => a + b, 0)).toBe(customers)
        for (const kind of ['upgrade', 'downgrade', 'cancel', 'past_due'] as const)
          expect(scenario.events.filter((e) => e.kind === kind)).toHaveLength(counts[kind])

        const byCustomer = new Map<number, number>()
        for (const event of scenario.events) {
          byCustomer.set(event.customer, (byCustomer.get(event.customer) ?? 0) + 1)
          expect(event.month).toBeGreaterThanOrEqual(1)
          expect(event.month).toBeLessThanOrEqual(months)
          const from = planIndex.get(event.from.plan)!
          if (event.kind === 'upgrade') {
            const to = planIndex.get(event.to!.plan)!
            expect(to === from + 1 || (to === from && event.to!.screens > event.from.screens)).toBe(true)
          }
          if (event.kind === 'downgrade') expect(planIndex.get(event.to!.plan)).toBe(from - 1)
          if (event.to) {
            const range = planOf(event.to.plan).screens
            expect(event.to.screens).toBeGreaterThanOrEqual(range.min)
            expect(event.to.screens).toBeLessThanOrEqual(range.max)
          }
          if (event.kind === 'past_due') expect(planOf(event.from.plan).unitAmount).toBeGreaterThan(0)
        }
        // One event per customer: never an event on a canceled or past-due customer, never two in a month.
        expect([...byCustomer.values()].every((n) => n === 1)).toBe(true)
        for (const clock of scenario.clocks) expect(clock.customers.length).toBeLessThanOrEqual(3)
        // Every customer on exactly one clock, the one it names; clocks full but the last (3 per clock).
        expect(scenario.clocks.flatMap((clock) => clock.customers).sort((a, b) => a - b)).toEqual(
          scenario.customers.map((c) => c.index),
        )
        for (const clock of scenario.clocks)
          for (const c of clock.customers) expect(scenario.customers[c]!.clock).toBe(clock.index)
        expect(scenario.clocks.slice(0, -1).every((clock) => clock.customers.length === 3)).toBe(true)

        // Expected MRR: the sum of the month's subscriptions; canceled customers gone; past_due only in its month.
        for (const month of scenario.expected) {
          expect(month.mrrCents).toBe(
            month.subscriptions.reduce((sum, s) => sum + planOf(s.plan).unitAmount * s.screens, 0),
          )
          for (const event of scenario.events) {
            const row = month.subscriptions.find((s) => s.customer === event.customer)
            if (event.kind === 'cancel' && month.month >= event.month) expect(row).toBeUndefined()
            if (event.kind === 'past_due') {
              if (month.month < event.month) expect(row?.status).toBe('active')
              if (month.month === event.month) expect(row?.status).toBe('past_due')
              if (month.month > event.month) expect(row).toBeUndefined()
            }
          }
        }
      }),
      {numRuns: 150},
    )
  })

  it('the same seed gives a byte-identical plan; different seeds give different plans', () => {
    fc.assert(
      fc.property(fc.integer({min: 5, max: 300}), fc.nat(2 ** 31 - 2), (customers, seed) => {
        expect(JSON.stringify(plan(customers, seed))).toBe(JSON.stringify(plan(customers, seed)))
        expect(JSON.stringify(plan(customers, seed))).not.toBe(JSON.stringify(plan(customers, seed + 1)))
      }),
      {numRuns: 40},
    )
  })
})

describe('planScenario refuses what cannot be planned', () => {
  it('customers and months out of range', () => {
    for (const bad of [0, -1, 1.5, 10_001, Number.NaN])
      expect(() => plan(bad, 1)).toThrow(/--customers must be a whole number from 1 to 10000/)
    for (const bad of [0, 25, 2.5])
      expect(() => plan(10, 1, bad)).toThrow(/--months must be a whole number from 1 to 24/)
  })

  it('event counts the customers cannot carry', () => {
    // Every customer on the free plan: no paid customer can go past due.
    const freeOnly: Config = {
      ...config,
      plans: config.plans.map((p) => ({...p, customers: p.key === 'free' ? 100 : 0})),
    }
    expect(() => plan(100, 1, 6, freeOnly)).toThrow(/5 past-due events but only 0 of 100 customers can carry one/)
  })
})
