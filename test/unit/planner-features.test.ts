import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {addIntervals} from '../../src/billing-time.js'
import {applyScenario, listScenarios} from '../../src/config/scenarios.js'
import {
  type Config,
  type ConfigInput,
  ConfigSchema,
  customerCurrencies,
  defaultConfig,
  formatZodIssues,
  hasScenarioFeatures,
  planAmount,
} from '../../src/config/schema.js'
import {UsageError} from '../../src/errors.js'
import {lookupKeyFor} from '../../src/prices/seed.js'
import {priceLookupKey, scenarioCatalog, unitAmountFor} from '../../src/scenario/catalog.js'
import {largestRemainder} from '../../src/scenario/distribution.js'
import {estimateRun} from '../../src/scenario/estimate.js'
import {periodEnd, yearlyAmount} from '../../src/scenario/features.js'
import {type PlannedEvent, type Scenario, planScenario} from '../../src/scenario/plan.js'
import {formatScenarioList, renderScenario} from '../../src/scenario/render.js'

const START = Date.UTC(2026, 4, 1) / 1000
const plan = (config: Config, customers: number, seed: number, months = 6): Scenario =>
  planScenario({config, customers, months, seed, startTime: START, runId: 'test-run'})
const boundary = (month: number) => addIntervals(START, 'month', month)
const parse = (input: ConfigInput) => ConfigSchema.safeParse(input)
const issues = (input: ConfigInput) => {
  const parsed = parse(input)
  return parsed.success ? '' : formatZodIssues(parsed.error)
}
const roundHalfUp = (value: number) => Math.floor(value + 0.5 + 1e-9)
const BASE_KINDS = new Set(['upgrade', 'downgrade', 'cancel', 'past_due'])
/** Stripe's transitions: on the calendar, no request. */
const STRIPE_SIDE = new Set(['trial_end', 'subscription_end'])

describe('scenario config', () => {
  it("has no features by default, and the default analytics are Stripe's documented defaults", () => {
    const config = defaultConfig()
    expect(hasScenarioFeatures(config)).toBe(false)
    expect(config.analytics).toMatchObject({
      scheduledCancellation: 'at_request',
      discounts: {subtractRecurring: false, subtractOneTime: false},
      reportingCurrency: 'usd',
    })
  })

  it('refuses coupons Stripe refuses', () => {
    expect(issues({coupons: [{id: 'x', amountOff: 500, duration: 'forever', customers: 1}]})).toMatch(
      /amountOff coupon with duration forever/,
    )
    expect(issues({coupons: [{id: 'x', percentOff: 10, duration: 'repeating', customers: 1}]})).toMatch(
      /durationInMonths is required for, and only for, duration repeating/,
    )
    expect(issues({coupons: [{id: 'x', percentOff: 10, duration: 'once', durationInMonths: 2, customers: 1}]})).toMatch(
      /durationInMonths/,
    )
    expect(issues({coupons: [{id: 'x', percentOff: 10, amountOff: 5, duration: 'once', customers: 1}]})).toMatch(
      /exactly one of percentOff and amountOff/,
    )
    expect(
      issues({
        coupons: [
          {id: 'x', percentOff: 10, duration: 'once', customers: 1, promotionCode: 'A', month: 0},
          {id: 'y', percentOff: 5, duration: 'once', customers: 1, promotionCode: 'a'},
        ],
      }),
    ).toMatch(/promotion codes must be unique, ignoring case/)
    expect(issues({coupons: [{id: 'x', percentOff: 10, duration: 'once', customers: 1, month: 9}]})).toMatch(
      /month 9 is after the run's 6 months/,
    )
  })

  it("one currency per customer: plans in different currencies need prices in each other's, then they are fine", () => {
    const plans = defaultConfig().plans.map((p) => (p.key === 'enterprise' ? {...p, currency: 'eur'} : p))
    expect(issues({plans})).toMatch(/plan "free" has no price in eur, a currency its customers may pay in/)
    expect(
      issues({
        plans,
        currencies: {eur: {customers: 0, priceFactor: 0.9}, usd: {customers: 0, amounts: {enterprise: 5000}}},
      }),
    ).toBe('')
    expect(issues({currencies: {eur: {customers: 10, amounts: {standard: 900}}}})).toMatch(
      /plan "pro_plus" has no price in eur/,
    )
    expect(issues({currencies: {eur: {customers: 10, amounts: {nope: 1}, priceFactor: 1}}})).toMatch(
      /currencies\.eur\.amounts\.nope: no plan "nope"/,
    )
    // Upgrades move one plan up in every currency: the price order holds in each.
    expect(issues({currencies: {eur: {customers: 10, amounts: {engage: 1000}, priceFactor: 1}}})).toMatch(
      /"engage" \(1000\) is cheaper in eur than "pro_plus" \(1500\)/,
    )
  })

  it("a coupon added after the run's last month (--months shorter than the config's) is a usage error", () => {
    const config = ConfigSchema.parse({
      months: 6,
      coupons: [{id: 'later', percentOff: 10, duration: 'forever', customers: 5, month: 5}],
    })
    expect(() => plan(config, 100, 1, 4)).toThrow(/coupon later is added in month 5, after the run's 4 months/)
    expect(plan(config, 100, 1, 5).events.filter((e) => e.kind === 'discount')).toHaveLength(5)
  })

  it('a switch to yearly needs yearly prices', () => {
    expect(issues({changes: {toYearly: 2}})).toMatch(/switching to yearly needs yearly prices/)
    expect(issues({changes: {toYearly: 2}, yearly: {customers: 0}})).toBe('')
  })
})

describe('named scenarios', () => {
  it('are listed with a one-line description, and each plans on the default config at several sizes', () => {
    const list = listScenarios()
    expect(list.map((s) => s.name)).toEqual(expect.arrayContaining(['default', 'saas']))
    expect(new Set(list.map((s) => s.name)).size).toBe(list.length)
    for (const {name, description} of list) {
      expect(description.length).toBeGreaterThan(20)
      expect(description).not.toMatch(/\n/)
      const config = applyScenario(defaultConfig(), name)
      for (const customers of [30, 100, 200]) expect(plan(config, customers, 1).customers).toHaveLength(customers)
    }
  })

  it('print one line each for --scenario list', () => {
    const lines = formatScenarioList(listScenarios()).split('\n')
    expect(lines).toHaveLength(listScenarios().length)
    expect(lines.find((line) => line.startsWith('saas '))).toMatch(/^saas\s+A realistic mix: yearly plans/)
  })

  it('default gives the default plan; an unknown name is a usage error naming the choices', () => {
    expect(JSON.stringify(plan(applyScenario(defaultConfig(), 'default'), 100, 7))).toBe(
      JSON.stringify(plan(defaultConfig(), 100, 7)),
    )
    expect(() => applyScenario(defaultConfig(), 'nope')).toThrow(UsageError)
    expect(() => applyScenario(defaultConfig(), 'nope')).toThrow(/Unknown scenario "nope": choose one of default, saas/)
  })

  it('saas at 200 customers, seed 1, has every feature the issue asks for', () => {
    const scenario = plan(applyScenario(defaultConfig(), 'saas'), 200, 1)
    const kinds = new Set(scenario.events.map((e) => e.kind))
    for (const kind of [
      'upgrade',
      'downgrade',
      'cancel',
      'past_due',
      'mid_cycle_upgrade',
      'mid_cycle_downgrade',
      'to_yearly',
      'seat_growth',
      'cancel_at_period_end',
      'subscription_end',
      'reactivation',
      'discount',
      'trial_end',
      'addon_added',
      'addon_removed',
    ])
      expect(kinds).toContain(kind)
    const terms = scenario.customers.map((c) => c.terms!)
    expect(new Set(terms.map((t) => t.currency))).toEqual(new Set(['usd', 'eur', 'gbp']))
    expect(new Set(terms.map((t) => t.interval))).toEqual(new Set(['month', 'year']))
    expect(new Set(terms.map((t) => t.trial?.outcome))).toEqual(new Set([undefined, 'converts', 'stops']))
    const coupons = new Set(terms.map((t) => t.coupon && `${t.coupon.id}:${t.coupon.via}`))
    expect(coupons).toEqual(
      new Set([
        undefined,
        'launch_20_forever:coupon',
        'welcome_3_months:promotion_code',
        'first_month_10_off:coupon',
        'retention_15:coupon',
      ]),
    )
    // Counts scale from the per-100 table: 15 yearly per 100 reference customers → 30 of 200.
    expect(scenario.featureCounts).toMatchObject({
      yearly: 30,
      converting_trial: 16,
      stopping_trial: 8,
      currency_eur: 24,
      currency_gbp: 12,
      reactivation: 8,
    })
  })

  it('a scenario keeps the base plan: the same customers, plans, screens and boundary events as without it', () => {
    fc.assert(
      fc.property(
        fc.integer({min: 20, max: 300}),
        fc.nat(2 ** 31 - 1),
        fc.constantFrom(...listScenarios().map((s) => s.name)),
        (customers, seed, name) => {
          const base = plan(defaultConfig(), customers, seed)
          let withFeatures: Scenario
          try {
            withFeatures = plan(applyScenario(defaultConfig(), name), customers, seed)
          } catch (error) {
            expect(error).toBeInstanceOf(UsageError)
            return
          }
          // Which customer sits on which clock may differ: clocks group customers by the months their
          // events need (issue 20), so the scenario's own events regroup them.
          const withoutClock = <T extends {clock: unknown}>({clock: _clock, ...c}: T) => c
          expect(withFeatures.customers.map(({terms: _terms, ...c}) => withoutClock(c))).toEqual(
            base.customers.map(withoutClock),
          )
          expect(withFeatures.events.filter((e) => BASE_KINDS.has(e.kind) && e.subscription === undefined)).toEqual(
            base.events,
          )
          expect(withFeatures.clocks).toHaveLength(base.clocks.length)
        },
      ),
      {numRuns: 30},
    )
  })
})

/** A feature config within the reference table's room, over the default plans. */
const featureConfig = fc
  .record({
    yearly: fc.option(
      fc.record({customers: fc.integer({min: 0, max: 20}), discountPercent: fc.integer({min: 0, max: 40})}),
      {nil: undefined},
    ),
    trials: fc.option(
      fc.record({
        days: fc.integer({min: 1, max: 45}),
        converting: fc.integer({min: 0, max: 10}),
        stopping: fc.integer({min: 0, max: 5}),
      }),
      {nil: undefined},
    ),
    coupons: fc.option(
      fc.subarray([
        {id: 'forever_pct', percentOff: 20, duration: 'forever' as const, customers: 4},
        {
          id: 'rep_pct',
          percentOff: 50,
          duration: 'repeating' as const,
          durationInMonths: 2,
          customers: 3,
          promotionCode: 'HALF',
        },
        {id: 'once_amt', amountOff: 700, currency: 'usd', duration: 'once' as const, customers: 3},
        {
          id: 'rep_amt_eur',
          amountOff: 300,
          currency: 'eur',
          duration: 'repeating' as const,
          durationInMonths: 1,
          customers: 1,
        },
        {id: 'later_pct', percentOff: 10, duration: 'forever' as const, customers: 2, month: 1},
      ]),
      {nil: undefined},
    ),
    eur: fc.integer({min: 1, max: 15}),
    changes: fc.option(
      fc.record({
        upgrades: fc.integer({min: 0, max: 5}),
        downgrades: fc.integer({min: 0, max: 4}),
        toYearly: fc.integer({min: 0, max: 3}),
      }),
      {nil: undefined},
    ),
    reactivations: fc.option(fc.integer({min: 0, max: 4}), {nil: undefined}),
    scheduledCancellations: fc.option(fc.integer({min: 0, max: 4}), {nil: undefined}),
    seatGrowth: fc.option(fc.record({customers: fc.integer({min: 0, max: 5}), steps: fc.integer({min: 1, max: 4})}), {
      nil: undefined,
    }),
    scheduledChurn: fc.constantFrom('at_request' as const, 'at_period_end' as const),
    addon: fc.option(fc.record({customers: fc.integer({min: 0, max: 5}), removed: fc.integer({min: 0, max: 3})}), {
      nil: undefined,
    }),
  })
  .map(({eur, scheduledChurn, changes, yearly, addon, ...rest}): Config => {
    const parsed = ConfigSchema.parse({
      ...rest,
      ...(addon
        ? {
            addon: {
              key: 'support',
              name: 'Support',
              unitAmount: 2500,
              customers: addon.customers,
              removed: Math.min(addon.removed, addon.customers),
            },
          }
        : {}),
      ...(yearly || changes?.toYearly ? {yearly: yearly ?? {customers: 0}} : {}),
      ...(changes ? {changes} : {}),
      currencies: {eur: {customers: eur, priceFactor: 0.9}},
      analytics: {scheduledCancellation: scheduledChurn, fxRates: {eur: 1.1}},
    })
    return parsed
  })

/** Replays a customer's events in time order: which subscription is alive when. */
function checkHistory(scenario: Scenario, config: Config, customer: number, events: PlannedEvent[]): void {
  const c = scenario.customers[customer]!
  const terms = c.terms!
  const trialEnd = terms.trial?.endsAt
  const alive = [true]
  let pastDueMonth: number | undefined
  let interval = terms.interval
  let anchor = terms.anchor
  let addon = false
  const time = (e: PlannedEvent) => e.at ?? boundary(e.month)
  for (const event of events) {
    const sub = event.subscription ?? 0
    const at = time(event)
    // A failed renewal has run its retries by the next month (SB-33): nothing after it.
    if (pastDueMonth !== undefined) expect(event.month).toBe(pastDueMonth)
    if (event.kind === 'trial_end') {
      expect(at).toBe(trialEnd)
      if (event.outcome === 'stops') alive[0] = false
      continue
    }
    if (event.kind === 'reactivation') {
      expect(alive[0]).toBe(false)
      expect(sub).toBe(1)
      alive[1] = true
      continue
    }
    // No event on a subscription that has ended, except the reactivation above.
    expect(alive[sub]).toBe(true)
    // A trial comes before everything the customer does.
    if (trialEnd !== undefined && !STRIPE_SIDE.has(event.kind)) expect(at).toBeGreaterThan(trialEnd)
    // One currency per customer: every plan it moves to has a price in it.
    if (event.to)
      expect(
        planAmount(
          config,
          config.plans.find((p) => p.key === event.to!.plan)!,
          terms.currency,
        ),
      ).toBeDefined()
    if (event.at !== undefined && !STRIPE_SIDE.has(event.kind)) {
      // Inside the month, on a day that is not the subscription's renewal day.
      expect(event.at).toBeGreaterThan(boundary(event.month - 1))
      expect(event.at).toBeLessThan(boundary(event.month))
      expect(event.day).toBeGreaterThanOrEqual(2)
      expect(event.day).toBeLessThanOrEqual(28)
      expect(new Date(event.at * 1000).getUTCDate()).toBe(event.day)
      expect(Math.abs(event.day! - new Date(anchor * 1000).getUTCDate())).toBeGreaterThan(1)
    }
    switch (event.kind) {
      case 'cancel':
        alive[sub] = false
        break
      case 'past_due':
        expect(interval).toBe('month')
        pastDueMonth = event.month
        break
      case 'subscription_end':
        alive[sub] = false
        break
      case 'cancel_at_period_end':
        // Stripe cancels at the end of the period the request falls in (SB-63, SB-20).
        expect(event.endsAt).toBe(periodEnd(anchor, interval, at))
        expect(event.endsAt!).toBeGreaterThan(at)
        break
      case 'to_yearly':
        expect(interval).toBe('month')
        interval = 'year'
        anchor = at // an interval change resets the billing date (SB-45)
        break
      case 'addon_added':
        // On a monthly paid subscription without a trial, once.
        expect({interval, trial: terms.trial, addon}).toEqual({interval: 'month', trial: undefined, addon: false})
        expect(config.plans.find((p) => p.key === c.plan)!.unitAmount).toBeGreaterThan(0)
        addon = true
        break
      case 'addon_removed':
        expect(addon).toBe(true)
        addon = false
        break
      case 'seat_growth':
        expect(event.to!.screens).toBeGreaterThan(event.from.screens)
        expect(event.to!.screens).toBeLessThanOrEqual(config.plans.find((p) => p.key === c.plan)!.screens.max)
        break
      default:
        break
    }
  }
}

describe('planner invariants on generated scenario configs (property tests)', () => {
  it('valid histories, terms and counts; expected MRR recomputed independently', () => {
    let planned = 0
    let runs = 0
    let withAddon = 0
    fc.assert(
      fc.property(
        featureConfig,
        fc.integer({min: 1, max: 150}),
        fc.nat(2 ** 31 - 1),
        fc.integer({min: 1, max: 12}),
        (config, customers, seed, months) => {
          runs++
          let scenario: Scenario
          try {
            scenario = plan(
              {...config, months: Math.max(months, ...(config.coupons ?? []).map((c) => c.month))},
              customers,
              seed,
              months,
            )
          } catch (error) {
            // Too many features for the customers the base plan left free: refused, never half-planned.
            expect(error).toBeInstanceOf(UsageError)
            expect((error as Error).message).toMatch(
              /^(The scenario needs|reactivations need|removing an add-on needs|coupon|currencies ask)/,
            )
            return
          }
          planned++
          const reference = config.plans.reduce((sum, p) => sum + p.customers, 0)
          const scaled = (n: number) => largestRemainder([n, reference - n], customers)[0]!
          expect(scenario.featureCounts?.yearly ?? 0).toBe(scaled(config.yearly?.customers ?? 0))
          expect(scenario.featureCounts?.currency_eur).toBe(scaled(config.currencies!.eur!.customers))
          const terms = scenario.customers.map((c) => c.terms!)
          expect(terms.filter((t) => t.currency === 'eur')).toHaveLength(scaled(config.currencies!.eur!.customers))
          expect(terms.filter((t) => t.trial?.outcome === 'stops')).toHaveLength(scaled(config.trials?.stopping ?? 0))
          for (const [index, t] of terms.entries()) {
            expect(customerCurrencies(config)).toContain(t.currency)
            expect(t.paymentMethod).toBe(t.trial?.outcome !== 'stops')
            if (t.trial) expect(t.anchor).toBe(t.trial.endsAt)
            const coupon = config.coupons?.find((k) => k.id === t.coupon?.id)
            if (coupon?.amountOff !== undefined) expect(t.currency).toBe(coupon.currency)
            if (coupon?.duration === 'repeating') expect(t.interval === 'month' && !t.trial).toBe(true)
            if (t.interval === 'year')
              expect(unitAmountFor(config, scenario.customers[index]!.plan, 'year', t.currency)).toBeGreaterThan(0)
          }
          const byCustomer = new Map<number, PlannedEvent[]>()
          for (const event of scenario.events)
            byCustomer.set(event.customer, [...(byCustomer.get(event.customer) ?? []), event])
          for (const [customer, events] of byCustomer) {
            // A discounted item that prorates mid-cycle: a lasting percentage, changed once per period.
            const coupon = config.coupons?.find((k) => k.id === terms[customer]!.coupon?.id)
            const prorating = events.filter((e) =>
              [
                'mid_cycle_upgrade',
                'mid_cycle_downgrade',
                'to_yearly',
                'seat_growth',
                'addon_added',
                'addon_removed',
              ].includes(e.kind),
            )
            if (coupon && prorating.length > 0 && config.changes?.prorationBehavior !== 'none') {
              expect(coupon.amountOff === undefined && coupon.duration !== 'repeating').toBe(true)
              expect(new Set(prorating.map((e) => e.month)).size).toBe(prorating.length)
              if (terms[customer]!.interval === 'year') expect(prorating).toHaveLength(1)
            }
            // Stopping trials have nothing but their end.
            if (terms[customer]!.trial?.outcome === 'stops') expect(events.map((e) => e.kind)).toEqual(['trial_end'])
            checkHistory(scenario, config, customer, events)
          }
          // Events sorted by month, then time.
          const times = scenario.events.map((e) => [e.month, e.at ?? boundary(e.month)] as const)
          for (let i = 1; i < times.length; i++)
            expect(times[i]![0] * 1e12 + times[i]![1] >= times[i - 1]![0] * 1e12 + times[i - 1]![1]).toBe(true)

          for (const month of scenario.expected) {
            // Which subscriptions Stripe holds at the reading, and in which status, from the events alone.
            const reading = boundary(month.month)
            const want = new Map<string, string>()
            for (const c of scenario.customers) {
              const events = byCustomer.get(c.index) ?? []
              const t = terms[c.index]!
              let status: string | undefined = t.trial && t.trial.endsAt > reading ? 'trialing' : 'active'
              if (t.trial?.outcome === 'stops' && t.trial.endsAt <= reading) status = undefined
              for (const e of events) {
                if (e.kind === 'cancel' && e.month <= month.month) status = undefined
                if (e.kind === 'past_due' && e.month === month.month) status = 'past_due'
                if (e.kind === 'past_due' && e.month < month.month) status = undefined
                if (e.kind === 'cancel_at_period_end' && e.endsAt! <= reading) status = undefined
                if (e.kind === 'reactivation' && e.month <= month.month) want.set(`${c.index}:1`, 'active')
              }
              if (status) want.set(`${c.index}:0`, status)
            }
            expect(
              new Map(month.subscriptions.map((sub) => [`${sub.customer}:${sub.subscription}`, sub.status])),
            ).toEqual(want)
            const sums: Record<string, number> = {}
            let total = 0
            for (const sub of month.subscriptions) {
              sums[sub.currency!] = (sums[sub.currency!] ?? 0) + sub.mrrCents
              const t = terms[sub.customer]!
              // Independent recomputation for the simple cases: trials and scheduled cancellations (at request) carry none; otherwise unit ÷ months per period, less a forever percentage.
              if (
                sub.status === 'trialing' ||
                (sub.cancelAt && config.analytics.scheduledCancellation === 'at_request')
              )
                expect(sub.mrrCents).toBe(0)
              else {
                const unit = unitAmountFor(config, sub.plan, sub.interval!, sub.currency!)
                const coupon = config.coupons?.find((k) => k.id === sub.coupon)
                const factor =
                  coupon?.duration === 'forever' && coupon.percentOff !== undefined ? 1 - coupon.percentOff / 100 : 1
                const exact = (unit * factor) / (sub.interval === 'year' ? 12 : 1)
                // The add-on's item counts too (SB-M1): its flat monthly price, in EUR × 0.9, under the same coupon.
                const addon = sub.addon ? (sub.currency === 'eur' ? Math.round(2500 * 0.9) : 2500) * factor : 0
                if (sub.addon) withAddon++
                expect(sub.mrrCents).toBe(roundHalfUp(exact) * sub.screens + roundHalfUp(addon))
                // The total converts the unit's exact MRR at the fixed rate, then rounds (src/ledger/mrr.ts).
                if (unit > 0)
                  total +=
                    sub.currency === 'eur'
                      ? roundHalfUp(exact * 1.1) * sub.screens + roundHalfUp(addon * 1.1)
                      : sub.mrrCents
              }
              expect(['active', 'past_due', 'trialing']).toContain(sub.status)
              expect(sub.currency).toBe(t.currency)
            }
            expect(month.mrrByCurrency).toEqual(
              Object.fromEntries(Object.keys(month.mrrByCurrency!).map((k) => [k, sums[k] ?? 0])),
            )
            expect(month.mrrCents).toBe(total)
          }
          // Every price a customer ever uses is in the seed catalog.
          const keys = new Set(scenarioCatalog(config).prices.map((p) => p.lookupKey))
          for (const event of scenario.events) {
            const t = terms[event.customer]!
            for (const state of [event.from, event.to]) {
              if (state && state.plan !== 'free')
                expect(keys).toContain(priceLookupKey(state.plan, state.interval ?? 'month', t.currency, 'usd'))
            }
          }
          expect(estimateRun(scenario, config.scheduler).requests).toBeGreaterThan(0)
          expect(
            JSON.stringify(
              plan(
                {...config, months: Math.max(months, ...(config.coupons ?? []).map((c) => c.month))},
                customers,
                seed,
                months,
              ),
            ),
          ).toBe(JSON.stringify(scenario))
        },
      ),
      {numRuns: 80},
    )
    // Not vacuous: most generated configs fit, and some subscriptions carry the add-on.
    expect(planned).toBeGreaterThan(runs / 2)
    expect(withAddon).toBeGreaterThan(0)
  })
})

describe('the seed catalog', () => {
  it("is the five monthly prices of today for the default config, under today's lookup keys", () => {
    const catalog = scenarioCatalog(defaultConfig())
    expect(catalog.prices.map((p) => p.lookupKey)).toEqual(defaultConfig().plans.map((p) => lookupKeyFor(p.key)))
    expect(catalog.prices.map((p) => [p.params.unit_amount, p.params.currency, p.params.recurring?.interval])).toEqual(
      defaultConfig().plans.map((p) => [p.unitAmount, 'usd', 'month']),
    )
    expect(catalog.coupons).toEqual([])
    expect(catalog.promotionCodes).toEqual([])
  })

  it('saas: yearly prices for paid plans at the yearly discount, per-currency prices, coupons and a promotion code as Stripe takes them', () => {
    const config = applyScenario(defaultConfig(), 'saas')
    const catalog = scenarioCatalog(config)
    const byKey = new Map(catalog.prices.map((p) => [p.lookupKey, p]))
    expect(byKey.size).toBe(catalog.prices.length)
    expect(byKey.get('stripe_seed_pro_plus_monthly')?.params).toMatchObject({
      unit_amount: 1500,
      currency: 'usd',
      recurring: {interval: 'month', interval_count: 1},
      lookup_key: 'stripe_seed_pro_plus_monthly',
      product: 'stripe_seed_pro_plus',
    })
    expect(byKey.get('stripe_seed_pro_plus_yearly')?.params).toMatchObject({
      unit_amount: yearlyAmount(1500, 20),
      currency: 'usd',
      recurring: {interval: 'year'},
    })
    expect(yearlyAmount(1500, 20)).toBe(14_400)
    expect(byKey.get('stripe_seed_pro_plus_monthly_eur')?.params).toMatchObject({unit_amount: 1350, currency: 'eur'})
    expect(byKey.get('stripe_seed_pro_plus_yearly_gbp')?.params).toMatchObject({
      unit_amount: yearlyAmount(1200, 20),
      currency: 'gbp',
    })
    expect(byKey.has('stripe_seed_free_yearly')).toBe(false)
    expect(byKey.has('stripe_seed_free_monthly_eur')).toBe(true)
    // 5 plans × 3 currencies monthly + 4 paid plans × 3 currencies yearly + the support add-on in 3 currencies.
    expect(catalog.prices).toHaveLength(30)
    expect(catalog.coupons.map((c) => c.params)).toContainEqual({
      id: 'stripe_seed_welcome_3_months',
      name: '30% off for 3 months',
      percent_off: 30,
      duration: 'repeating',
      duration_in_months: 3,
      metadata: {stripe_seed_coupon: 'welcome_3_months'},
    })
    expect(catalog.coupons.map((c) => c.params)).toContainEqual(
      expect.objectContaining({
        id: 'stripe_seed_first_month_10_off',
        amount_off: 1000,
        currency: 'usd',
        duration: 'once',
      }),
    )
    for (const c of catalog.coupons)
      expect(c.params.amount_off !== undefined && c.params.duration === 'forever').toBe(false)
    expect(catalog.promotionCodes).toEqual([
      {
        code: 'WELCOME30',
        coupon: 'stripe_seed_welcome_3_months',
        params: {
          promotion: {type: 'coupon', coupon: 'stripe_seed_welcome_3_months'},
          code: 'WELCOME30',
          metadata: {stripe_seed_coupon: 'welcome_3_months'},
        },
      },
    ])
  })
})

describe('--dry-run view of a scenario', () => {
  it('shows terms, the calendar with its days, and the expected MRR per currency and in total', () => {
    const config = applyScenario(defaultConfig(), 'saas')
    const scenario = plan(config, 200, 1)
    const text = renderScenario(scenario, estimateRun(scenario, config.scheduler))
    expect(text).toMatch(/Customers by terms/)
    expect(text).toMatch(/Interval\s+yearly\s+30/)
    expect(text).toMatch(/Currency\s+EUR\s+24/)
    expect(text).toMatch(/14-day trial, no payment method: canceled\s+8/)
    expect(text).toMatch(/welcome_3_months \(promotion code\)\s+8/)
    const upgrade = scenario.events.find((e) => e.kind === 'mid_cycle_upgrade')!
    expect(text).toContain(`${new Date(upgrade.at! * 1000).toISOString().slice(0, 10)}  mid-cycle upgrade`)
    expect(text).toMatch(/trial end\s+16 convert, 8 canceled \(no payment method\)/)
    const last = scenario.expected.at(-1)!
    // One money format (src/render/money.ts): symbol, thousands separators, the minor unit's digits.
    const major = (minor: number) =>
      (minor / 100).toLocaleString('en-US', {minimumFractionDigits: 2, maximumFractionDigits: 2})
    const eur = `€${major(last.mrrByCurrency!.eur!)}`
    const total = `$${major(last.mrrCents)}`
    expect(text).toMatch(new RegExp(`${last.label}\\s+${eur}\\s+\\S+\\s+\\S+\\s+\\${total}`))
    expect(text).toMatch(/Standard\s+\$10\.00\s+/)
  })
})
