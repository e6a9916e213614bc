import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {defaultConfig} from '../../src/config/schema.js'
import {groupBy} from '../../src/group-by.js'
import {MAX_MONTHS_PER_ADVANCE, customerStopMonths, freePlans, stopsFor} from '../../src/scenario/clock-stops.js'
import {type PlannedEvent, planScenario} from '../../src/scenario/plan.js'

const START = Date.UTC(2026, 4, 1) / 1000
const event = (kind: PlannedEvent['kind'], month: number): PlannedEvent => ({
  kind,
  month,
  customer: 0,
  from: {plan: 'standard', screens: 2},
})

describe('where a clock stops', () => {
  it('with nothing planned, as few advances as Stripe allows: one month first, then two at a time', () => {
    expect(stopsFor([], 6)).toEqual([1, 3, 5, 6])
    expect(stopsFor([], 1)).toEqual([1])
    expect(stopsFor([], 2)).toEqual([1, 2])
    expect(stopsFor([], 6, 'monthly')).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('stops in every month a customer needs', () => {
    expect(stopsFor([2, 3], 6)).toEqual([1, 2, 3, 5, 6])
    expect(stopsFor([4], 6)).toEqual([1, 3, 4, 6])
  })

  it('a base event needs its month; a past-due customer the month before, its failure month and the next', () => {
    expect(customerStopMonths([event('upgrade', 4)], 6)).toEqual([4])
    expect(customerStopMonths([event('past_due', 3)], 6)).toEqual([2, 3, 4])
    // Month 0 is creation and month 7 is past the run.
    expect(customerStopMonths([event('past_due', 1)], 6)).toEqual([1, 2])
    expect(customerStopMonths([event('past_due', 6)], 6)).toEqual([5, 6])
    // A free plan's subscription that starts paying renews from then on: the next month is a stop too.
    const free = freePlans([
      {key: 'free', unitAmount: 0},
      {key: 'standard', unitAmount: 1000},
    ])
    const fromFree = {...event('upgrade', 3), from: {plan: 'free', screens: 1}, to: {plan: 'standard', screens: 2}}
    expect(customerStopMonths([fromFree], 6, free)).toEqual([3, 4])
    expect(customerStopMonths([event('upgrade', 3)], 6, free)).toEqual([3])
  })

  it('never advances further than Stripe allows and always ends at the last month (any needs)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({min: 1, max: 24})
          .chain((months) => fc.tuple(fc.constant(months), fc.uniqueArray(fc.integer({min: 1, max: months})))),
        ([months, needed]) => {
          const stops = stopsFor(needed, months)
          expect(stops.at(-1)).toBe(months)
          for (const month of needed) expect(stops).toContain(month)
          expect(stops[0]).toBe(1)
          for (let i = 1; i < stops.length; i++) {
            expect(stops[i]! - stops[i - 1]!).toBeGreaterThan(0)
            expect(stops[i]! - stops[i - 1]!).toBeLessThanOrEqual(MAX_MONTHS_PER_ADVANCE)
          }
        },
      ),
    )
  })
})

describe('the planner groups customers by the months they need', () => {
  const plan = (customers: number, seed: number, months: number, clockStops: 'events' | 'monthly' = 'events') =>
    planScenario({
      config: {...defaultConfig(), clockStops},
      customers,
      months,
      seed,
      startTime: START,
      runId: 'stops',
    })
  const stopsOf = (scenario: ReturnType<typeof plan>) => {
    const byCustomer = groupBy(scenario.events, (e) => e.customer)
    return scenario.clocks.map(
      (clock) =>
        stopsFor(
          clock.customers.flatMap((c) =>
            customerStopMonths(byCustomer.get(c) ?? [], scenario.months, freePlans(scenario.plans)),
          ),
          scenario.months,
        ).length,
    )
  }

  it('the original run (100 customers, seed 7, 6 months): every clock within 5 stops, most in 4', () => {
    const stops = stopsOf(plan(100, 7, 6))
    expect(stops).toHaveLength(34)
    expect(Math.max(...stops)).toBeLessThanOrEqual(5)
    expect(stops.filter((n) => n === 4).length).toBeGreaterThanOrEqual(28)
    // In index order, as before, clocks need more stops.
    const before = stopsOf({...plan(100, 7, 6, 'monthly')})
    expect(stops.reduce((a, b) => a + b, 0)).toBeLessThan(before.reduce((a, b) => a + b, 0))
  })

  it('is deterministic and keeps 3 per clock', () => {
    const a = plan(1000, 42, 12)
    const b = plan(1000, 42, 12)
    expect(a.clocks).toEqual(b.clocks)
    expect(a.clocks).toHaveLength(334)
    expect(a.clocks.slice(0, -1).every((clock) => clock.customers.length === 3)).toBe(true)
  })
})
