import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'

import {defaultConfig} from '../../src/config/schema.js'
import {type Scenario, planScenario} from '../../src/scenario/plan.js'

/**
 * The default plan is what downstream ETL has always received: the same seed must keep giving the
 * byte-identical plan (customers, events, expected months) whatever the scenario features add. The
 * hashes were taken from the planner before the scenario features existed (commit 8ad3a5f).
 */
const START = Date.UTC(2026, 4, 1) / 1000
const CASES: Array<{customers: number; seed: number; months: number; sha256: string}> = [
  {customers: 100, seed: 7, months: 6, sha256: '3bdb8382bc3bc1df1703305c20a9d240c2ec75af93fb0bd836af3cfaf257cd1d'},
  {customers: 1, seed: 1, months: 1, sha256: '943d9863e71a8a0ee342ebbc78cbefeb8169b0bae86d49c0b0ed8be02c55640c'},
  {customers: 37, seed: 12_345, months: 12, sha256: '1771412fc959d0abb828958d022f9989ebafa9604c61be49f29fdf17743ecb80'},
  {customers: 250, seed: 3, months: 6, sha256: 'd5c1b441485d3d8b87741c75d94d372a28da208f58818ea06cc016cc05f99792'},
  {customers: 1000, seed: 42, months: 24, sha256: 'd9abdfb6db6e2063defb37fa1351e500f765ba76eec96cb355cd6667a3e30c2e'},
]

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
  it.each(CASES)('$customers customers, seed $seed, $months months', ({customers, seed, months, sha256}) => {
    const scenario = planScenario({config: defaultConfig(), customers, months, seed, startTime: START, runId: 'golden'})
    expect(
      createHash('sha256')
        .update(JSON.stringify(withIndexOrderClocks(scenario)))
        .digest('hex'),
    ).toBe(sha256)
  })

  it('clockStops monthly keeps the earlier clocks exactly', () => {
    const config = {...defaultConfig(), clockStops: 'monthly' as const}
    const {customers, seed, months, sha256} = CASES[0]!
    const scenario = planScenario({config, customers, months, seed, startTime: START, runId: 'golden'})
    expect(createHash('sha256').update(JSON.stringify(scenario)).digest('hex')).toBe(sha256)
  })
})
