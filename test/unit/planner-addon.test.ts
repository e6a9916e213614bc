import {describe, expect, it} from 'vitest'

import {addIntervals} from '../../src/billing-time.js'
import {applyScenario} from '../../src/config/scenarios.js'
import {type Config, ConfigSchema, defaultConfig, formatZodIssues} from '../../src/config/schema.js'
import {addonLookupKey, scenarioCatalog} from '../../src/scenario/catalog.js'
import {type Scenario, planScenario} from '../../src/scenario/plan.js'

/**
 * Multi-item subscriptions (issue 17): a flat monthly add-on, a second item priced separately,
 * added on a day inside a billing period and removed from some in a later month. Stripe's MRR
 * counts every licensed item (SB-M1), so a month's expected MRR holds the add-on while it is on.
 */

const START = Date.UTC(2026, 4, 1) / 1000
const plan = (config: Config, customers: number, seed: number, months = 6): Scenario =>
  planScenario({config, customers, months, seed, startTime: START, runId: 'test-run'})
const saas = () => applyScenario(defaultConfig(), 'saas')

describe('the saas add-on in the catalog', () => {
  it('is its own product with a flat monthly price in USD and in each currency with a price factor', () => {
    const catalog = scenarioCatalog(saas())
    expect(catalog.products.find((p) => p.plan === 'support')?.params).toEqual({
      id: 'stripe_seed_addon_support',
      name: 'Priority support',
      metadata: {stripe_seed_addon: 'support'},
    })
    const prices = catalog.prices.filter((p) => p.plan === 'support')
    expect(prices.map((p) => [p.lookupKey, p.currency, p.interval, p.unitAmount])).toEqual([
      ['stripe_seed_addon_support_monthly_eur', 'eur', 'month', 4410],
      ['stripe_seed_addon_support_monthly_gbp', 'gbp', 'month', 3920],
      ['stripe_seed_addon_support_monthly', 'usd', 'month', 4900],
    ])
    for (const price of prices) {
      expect(price.params.recurring).toEqual({interval: 'month', interval_count: 1, usage_type: 'licensed'})
      expect(price.params.metadata).toEqual({stripe_seed_addon: 'support'})
    }
    expect(addonLookupKey('support', 'usd', 'usd')).toBe('stripe_seed_addon_support_monthly')
  })

  it('is refused where it cannot be planned: a plan key, or more removals than additions', () => {
    const issues = (addon: object) => {
      const parsed = ConfigSchema.safeParse({addon})
      return parsed.success ? '' : formatZodIssues(parsed.error)
    }
    expect(issues({key: 'standard', name: 'X', unitAmount: 100, customers: 2})).toContain('addon.key')
    expect(issues({key: 'support', name: 'X', unitAmount: 100, customers: 2, removed: 3})).toContain('addon.removed')
    expect(issues({key: 'support', name: 'X', unitAmount: 100, customers: 2, removed: 1})).toBe('')
  })
})

describe('the saas plan with an add-on', () => {
  for (const [customers, seed] of [
    [60, 1],
    [200, 1],
    [200, 7],
  ] as const) {
    it(`${customers} customers, seed ${seed}: added mid-cycle, some removed later, and each month's MRR holds it while it is on`, () => {
      const config = saas()
      const base = plan(config, customers, seed)
      const without = plan({...config, addon: undefined}, customers, seed)
      const added = base.events.filter((e) => e.kind === 'addon_added')
      const removed = base.events.filter((e) => e.kind === 'addon_removed')
      // 6 and 2 per 100 reference customers.
      expect(added).toHaveLength(Math.round((6 * customers) / 100))
      expect(removed).toHaveLength(Math.round((2 * customers) / 100))
      expect(base.featureCounts?.addon).toBe(added.length)
      for (const event of [...added, ...removed]) {
        // A day inside the month, at noon: never on a renewal boundary.
        expect(event.day).toBeGreaterThanOrEqual(2)
        expect(event.at).toBe(addIntervals(START, 'month', event.month - 1) + (event.day! - 1) * 86400 + 12 * 3600)
        expect(event.addon).toBe('support')
        expect(event.prorationBehavior).toBe('create_prorations')
        // The add-on goes on a monthly, paid subscription with nothing else in its story.
        const customer = base.customers[event.customer]!
        expect(customer.terms?.interval).toBe('month')
        expect(customer.terms?.trial).toBeUndefined()
        expect(base.events.filter((e) => e.customer === event.customer && !e.kind.startsWith('addon'))).toEqual(
          base.events.filter((e) => e.customer === event.customer && e.kind === 'discount'),
        )
      }
      for (const event of removed) {
        const add = added.find((e) => e.customer === event.customer)!
        expect(event.month).toBeGreaterThan(add.month)
      }

      const unit = {usd: 4900, eur: 4410, gbp: 3920} as Record<string, number>
      for (const month of base.expected) {
        const other = without.expected[month.month]!
        for (const sub of month.subscriptions) {
          const add = added.find((e) => e.customer === sub.customer)
          const remove = removed.find((e) => e.customer === sub.customer)
          const on =
            add !== undefined && add.month <= month.month && (remove === undefined || remove.month > month.month)
          expect(sub.addon, `month ${month.month} customer ${sub.customer}`).toBe(on ? 'support' : undefined)
        }
        // With percent coupons only on add-on customers, the difference is exact per subscription when undiscounted.
        const withAddon = month.subscriptions.filter((sub) => sub.addon && !sub.coupon)
        for (const sub of withAddon) {
          const twin = other.subscriptions.find(
            (s) => s.customer === sub.customer && s.subscription === sub.subscription,
          )
          if (twin?.plan === sub.plan && twin.screens === sub.screens && !twin.coupon)
            expect(sub.mrrCents - twin.mrrCents).toBe(unit[sub.currency!])
        }
      }
      // Some month holds an add-on, and the one before it did not: the expected MRR rises by it.
      expect(base.expected.some((m) => m.subscriptions.some((s) => s.addon))).toBe(true)
    })
  }

  it('leaves the plan without an add-on as it was: the same customers and every other event', () => {
    const config = saas()
    const base = plan(config, 200, 3)
    const without = plan({...config, addon: undefined}, 200, 3)
    expect(
      base.customers.map((c) => [c.plan, c.screens, c.terms?.currency, c.terms?.interval, c.terms?.trial]),
    ).toEqual(without.customers.map((c) => [c.plan, c.screens, c.terms?.currency, c.terms?.interval, c.terms?.trial]))
    const notCoupon = (e: Scenario['events'][number]) => !e.kind.startsWith('addon') && e.kind !== 'discount'
    expect(base.events.filter(notCoupon)).toEqual(without.events.filter(notCoupon))
  })
})
