import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'

import {defaultConfig} from '../../src/config/schema.js'
import {type Scenario, planScenario} from '../../src/scenario/plan.js'

/**
 * The default plan is what downstream ETL has always received: the same seed must keep giving the
 * identical plan (customers, events, expected months) whatever the scenario features add. The golden
 * plans in ./golden/ are readable JSON, so a change (a faker update renaming a customer, a moved event)
 * fails with a diff of what moved; they match the sha256 hashes taken from the planner before the
 * scenario features existed (commit 8ad3a5f). Only the 1,000-customer, 24-month plan (3.4 MB as JSON)
 * stays a hash: the readable plans show what changed when it fails.
 */
const START = Date.UTC(2026, 4, 1) / 1000
const CASES: Array<{customers: number; seed: number; months: number}> = [
  {customers: 100, seed: 7, months: 6},
  {customers: 1, seed: 1, months: 1},
  {customers: 37, seed: 12_345, months: 12},
  {customers: 250, seed: 3, months: 6},
]
const LONG = {customers: 1000, seed: 42, months: 24}
const LONG_SHA256 = 'd9abdfb6db6e2063defb37fa1351e500f765ba76eec96cb355cd6667a3e30c2e'
const golden = ({customers, seed, months}: {customers: number; seed: number; months: number}) =>
  `./golden/plan-${customers}-customers-seed-${seed}-${months}-months.json`
const readable = (scenario: Scenario) => `${JSON.stringify(scenario, null, 1)}\n`

/**
 * The plan with its customers back on the clocks they sat on before issue 20 (three in index
 * order): only which customer sits on which clock may differ from the golden plan.
 */
function withIndexOrderClocks(scenario: Scenario): Scenario {
  const perClock = scenario.customersPerClock
  return {
    ...scenario,
    customers: scenario.customers.map((c) => ({...c, clock: Math.floor(c.index / perClock)})),
    clocks: scenario.clocks.map((clock) => ({
      ...clock,
      customers: scenario.customers.filter((c) => Math.floor(c.index / perClock) === clock.index).map((c) => c.index),
    })),
  }
}

describe('the default plan is unchanged', () => {
  it.each(CASES)('$customers customers, seed $seed, $months months', async (plan) => {
    const scenario = planScenario({config: defaultConfig(), ...plan, startTime: START, runId: 'golden'})
    await expect(readable(withIndexOrderClocks(scenario))).toMatchFileSnapshot(golden(plan))
  })

  it('1,000 customers, seed 42, 24 months', () => {
    const scenario = planScenario({config: defaultConfig(), ...LONG, startTime: START, runId: 'golden'})
    const hash = createHash('sha256')
      .update(JSON.stringify(withIndexOrderClocks(scenario)))
      .digest('hex')
    expect(hash).toBe(LONG_SHA256)
  })

  it('clockStops monthly keeps the earlier clocks exactly', async () => {
    const config = {...defaultConfig(), clockStops: 'monthly' as const}
    const scenario = planScenario({config, ...CASES[0]!, startTime: START, runId: 'golden'})
    await expect(readable(scenario)).toMatchFileSnapshot(golden(CASES[0]!))
  })
})
