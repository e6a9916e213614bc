import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {LedgerItemRowSchema} from '../../src/files/ledger.js'
import {type MrrDefinitionsInput, MrrDefinitionsSchema} from '../../src/ledger/definitions.js'
import {ledgerItemRows, roundHalfUp} from '../../src/ledger/mrr.js'
import {type ItemSpec, type SubscriptionSpec, coupon, discount, subscription} from '../helpers/stripe-objects.js'

const AT = 1_790_000_000 // the reading's time
const DAY = 86_400

function read(spec: SubscriptionSpec, definitions: MrrDefinitionsInput = {}) {
  const rows = ledgerItemRows(subscription(spec), {
    month: '2026-09',
    at: AT,
    definitions: MrrDefinitionsSchema.parse(definitions),
  })
  for (const row of rows) LedgerItemRowSchema.parse(row) // every row the function makes is a valid ledger row
  return rows
}
const mrrOf = (spec: SubscriptionSpec, definitions: MrrDefinitionsInput = {}) =>
  read(spec, definitions).reduce((sum, row) => sum + row.mrr, 0)
const one = (item: ItemSpec, rest: Omit<SubscriptionSpec, 'items'> = {}) => ({...rest, items: [item]})

describe('MRR of one subscription (SB-M1–SB-M3)', () => {
  it('monthly per-seat price: list price × quantity, and the row says what it read', () => {
    const [row] = read(one({unitAmount: 1000, quantity: 3, plan: 'standard'}))
    expect(row).toMatchObject({
      plan: 'standard',
      interval: 'month',
      interval_count: 1,
      unit_amount: 1000,
      quantity: 3,
      currency: 'usd',
      status: 'active',
      trial: 'none',
      unit_mrr: 1000,
      mrr: 3000,
      excluded: null,
      mrr_reporting: 3000,
    })
  })

  it('reproduces the glossary example: 100 × 100 USD monthly + 50 × 600 USD yearly = 12,500 USD (SB-M1)', () => {
    let total = 0
    for (let i = 0; i < 100; i++) total += mrrOf(one({unitAmount: 10_000}, {id: `sub_a${i}`}))
    for (let i = 0; i < 50; i++) total += mrrOf(one({unitAmount: 60_000, interval: 'year'}, {id: `sub_b${i}`}))
    expect(total).toBe(1_250_000)
  })

  it('normalises interval_count: a quarterly 30 USD is 10 USD a month, a 2-year 240 USD is 10 USD', () => {
    expect(mrrOf(one({unitAmount: 3000, interval: 'month', intervalCount: 3}))).toBe(1000)
    expect(mrrOf(one({unitAmount: 24_000, interval: 'year', intervalCount: 2}))).toBe(1000)
  })

  it('weeks and days use the visible setting: 52/12 weeks and 365/12 days by default, 4 and 30 when chosen', () => {
    expect(mrrOf(one({unitAmount: 1000, interval: 'week'}))).toBe(4333)
    expect(mrrOf(one({unitAmount: 100, interval: 'day'}))).toBe(3042)
    expect(mrrOf(one({unitAmount: 1000, interval: 'week'}), {weeksPerMonth: 4})).toBe(4000)
    expect(mrrOf(one({unitAmount: 100, interval: 'day'}), {daysPerMonth: 30})).toBe(3000)
  })

  it('rounds per unit, half up, so MRR stays unit_mrr × quantity: 3 seats of 100 USD a year is 3 × 8.33', () => {
    const [row] = read(one({unitAmount: 10_000, quantity: 3, interval: 'year'}))
    expect(row).toMatchObject({unit_mrr: 833, mrr: 2499})
    expect(row!.list_mrr).toBeCloseTo(2500, 9)
    expect(roundHalfUp(0.5)).toBe(1)
    expect(roundHalfUp(2.4999)).toBe(2)
  })

  it('counts active and past_due; trialing, unpaid, canceled, incomplete and paused carry none (SB-M1)', () => {
    expect(mrrOf(one({unitAmount: 1000}, {status: 'past_due'}))).toBe(1000)
    for (const status of ['trialing', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'paused'] as const) {
      const [row] = read(one({unitAmount: 1000}, {status}))
      expect(row).toMatchObject({mrr: 0, excluded: status})
    }
    expect(read(one({unitAmount: 1000}, {status: 'trialing', trialEnd: AT + DAY}))[0]!.trial).toBe('trialing')
    expect(read(one({unitAmount: 1000}, {trialEnd: AT - DAY}))[0]).toMatchObject({trial: 'ended', mrr: 1000})
  })

  it('free plans and metered prices carry none (SB-M1)', () => {
    expect(read(one({unitAmount: 0, quantity: 3}))[0]).toMatchObject({mrr: 0, excluded: 'free'})
    expect(read(one({unitAmount: 1000, usageType: 'metered'}))[0]).toMatchObject({mrr: 0, excluded: 'metered'})
  })

  it('a scheduled cancellation churns at the request by default, or at the period end when chosen (SB-M3)', () => {
    const spec = one({unitAmount: 1000, quantity: 2}, {cancelAtPeriodEnd: true, periodEnd: AT + 10 * DAY})
    expect(read(spec)[0]).toMatchObject({mrr: 0, excluded: 'scheduled_cancellation', cancel_at: AT + 10 * DAY})
    expect(read(spec, {scheduledCancellation: 'at_period_end'})[0]).toMatchObject({mrr: 2000, excluded: null})
    expect(read(one({unitAmount: 1000}, {cancelAt: AT + 40 * DAY}))[0]!.excluded).toBe('scheduled_cancellation')
  })

  it('refuses what it does not model, naming it: a status Stripe may add, a tiered price', () => {
    expect(() => read(one({unitAmount: 1000}, {status: 'on_hold' as SubscriptionSpec['status']}))).toThrow(
      /sub_1 has status "on_hold", which stripe-seed's MRR does not model/,
    )
    const tiered = subscription(one({unitAmount: 1000}))
    tiered.items.data[0]!.price = {...tiered.items.data[0]!.price, billing_scheme: 'tiered'}
    expect(() =>
      ledgerItemRows(tiered, {month: '2026-09', at: AT, definitions: MrrDefinitionsSchema.parse({})}),
    ).toThrow(/is tiered/)
  })

  describe('discounts (SB-M2, SB-58)', () => {
    const forever = coupon({id: 'half_forever', percent_off: 50, duration: 'forever'})
    const repeating = coupon({id: 'twenty_3m', percent_off: 20, duration: 'repeating', duration_in_months: 3})
    const once = coupon({id: 'ten_once', percent_off: 10, duration: 'once'})

    it('a forever coupon always reduces MRR: 50 % forever halves it', () => {
      const [row] = read(one({unitAmount: 1000, quantity: 4}, {discounts: [discount(forever, AT - DAY)]}))
      expect(row).toMatchObject({unit_mrr: 500, mrr: 2000})
      expect(row!.discounts).toEqual([
        {
          coupon_id: 'half_forever',
          level: 'subscription',
          percent_off: 50,
          amount_off: null,
          duration: 'forever',
          ends_at: null,
          counted: true,
        },
      ])
    })

    it('repeating and once coupons leave MRR unchanged unless the account subtracts them', () => {
      const spec = one(
        {unitAmount: 1000},
        {discounts: [discount(repeating, AT - DAY, AT + 60 * DAY), discount(once, AT - DAY)]},
      )
      expect(read(spec)[0]).toMatchObject({mrr: 1000})
      expect(read(spec)[0]!.discounts.map((d) => d.counted)).toEqual([false, false])
      expect(mrrOf(spec, {discounts: {subtractRecurring: true}})).toBe(800)
      expect(mrrOf(spec, {discounts: {subtractOneTime: true}})).toBe(900)
      expect(mrrOf(spec, {discounts: {subtractRecurring: true, subtractOneTime: true}})).toBe(720)
    })

    it('a discount counts only while in force: a repeating coupon that ended, or one not yet started, is not listed', () => {
      const ended = one({unitAmount: 1000}, {discounts: [discount(repeating, AT - 90 * DAY, AT - DAY)]})
      expect(read(ended, {discounts: {subtractRecurring: true}})[0]).toMatchObject({mrr: 1000, discounts: []})
      const future = one({unitAmount: 1000}, {discounts: [discount(forever, AT + DAY)]})
      expect(read(future)[0]).toMatchObject({mrr: 1000, discounts: []})
    })

    it('a discount naming its coupon by id (clover) reads the coupon from the context', () => {
      const byId = {...discount(forever, AT - DAY), source: {type: 'coupon' as const, coupon: forever.id}}
      const sub = subscription(one({unitAmount: 1000}, {discounts: [byId]}))
      const context = {month: '2026-09', at: AT, definitions: MrrDefinitionsSchema.parse({})}
      expect(ledgerItemRows(sub, {...context, coupons: new Map([[forever.id, forever]])})[0]!.mrr).toBe(500)
      expect(() => ledgerItemRows(sub, context)).toThrow(
        /coupon of discount di_half_forever is neither expanded nor given/,
      )
    })

    it('an amount off comes off once per billing period: 12 USD off a yearly 120 USD is 9 USD a month', () => {
      const amount = coupon({
        id: 'twelve_off',
        amount_off: 1200,
        currency: 'usd',
        duration: 'repeating',
        duration_in_months: 12,
      })
      const spec = one(
        {unitAmount: 12_000, interval: 'year'},
        {discounts: [discount(amount, AT - DAY, AT + 300 * DAY)]},
      )
      expect(mrrOf(spec, {discounts: {subtractRecurring: true}})).toBe(900)
    })

    it("item-level discounts apply before the subscription's, and a 100 % forever discount leaves nothing (free)", () => {
      const item = coupon({id: 'item_quarter', percent_off: 25, duration: 'forever'})
      const spec: SubscriptionSpec = {
        items: [{unitAmount: 1000, quantity: 2, discounts: [discount(item, AT - DAY)]}, {unitAmount: 2000}],
        discounts: [discount(forever, AT - DAY)],
      }
      expect(read(spec).map((row) => row.mrr)).toEqual([750, 1000])
      expect(read(spec)[0]!.discounts.map((d) => d.level)).toEqual(['item', 'subscription'])
      const full = coupon({id: 'all_forever', percent_off: 100, duration: 'forever'})
      expect(read(one({unitAmount: 1000}, {discounts: [discount(full, AT - DAY)]}))[0]).toMatchObject({
        mrr: 0,
        excluded: 'free',
      })
    })
  })

  describe('currencies (SB-M6)', () => {
    it("MRR is in the subscription's currency; the reporting amount exists only with a rate", () => {
      expect(read(one({unitAmount: 1000}, {currency: 'eur'}))[0]).toMatchObject({
        currency: 'eur',
        mrr: 1000,
        mrr_reporting: null,
      })
      expect(read(one({unitAmount: 1000, quantity: 2}, {currency: 'eur'}), {fxRates: {eur: 1.1}})[0]).toMatchObject({
        mrr: 2000,
        mrr_reporting: 2200,
      })
    })

    it('rescales zero-decimal currencies: 1,000 JPY at 0.0067 USD is 6.70 USD', () => {
      expect(read(one({unitAmount: 1000}, {currency: 'jpy'}), {fxRates: {jpy: 0.0067}})[0]).toMatchObject({
        mrr: 1000,
        mrr_reporting: 670,
      })
    })
  })

  describe('properties', () => {
    const interval = fc.constantFrom<'month' | 'year' | 'week' | 'day'>('month', 'year', 'week', 'day')
    const item = fc.record({
      unitAmount: fc.integer({min: 1, max: 1_000_000}),
      quantity: fc.integer({min: 1, max: 500}),
      interval,
      intervalCount: fc.integer({min: 1, max: 3}),
    })
    const months = {month: 1, year: 12, week: 12 / 52, day: 12 / 365}

    it('MRR is the per-unit monthly amount rounded, × quantity: within half a minor unit per unit of exact', () => {
      fc.assert(
        fc.property(item, (spec) => {
          const [row] = read(one(spec))
          const exactUnit = spec.unitAmount / (months[spec.interval] * spec.intervalCount)
          expect(row!.mrr).toBe(row!.unit_mrr * spec.quantity)
          expect(Math.abs(row!.unit_mrr - exactUnit)).toBeLessThanOrEqual(0.5 + 1e-6)
          expect(row!.list_mrr).toBeCloseTo(exactUnit * spec.quantity, 4)
        }),
      )
    })

    it('a yearly price of 12 × a monthly one gives the same MRR', () => {
      fc.assert(
        fc.property(fc.integer({min: 0, max: 100_000}), fc.integer({min: 1, max: 100}), (unit, quantity) => {
          expect(mrrOf(one({unitAmount: unit * 12, quantity, interval: 'year'}))).toBe(
            mrrOf(one({unitAmount: unit, quantity})),
          )
        }),
      )
    })

    it('discounts: forever percent-off takes its share; repeating and once change nothing by default; none raises MRR', () => {
      const duration = fc.constantFrom<'forever' | 'repeating' | 'once'>('forever', 'repeating', 'once')
      fc.assert(
        fc.property(item, fc.integer({min: 1, max: 100}), duration, (spec, percent, kind) => {
          const c = coupon({
            id: 'c',
            percent_off: percent,
            duration: kind,
            duration_in_months: kind === 'repeating' ? 3 : null,
          })
          const plain = read(one(spec))[0]!
          const discounted = read(
            one(spec, {discounts: [discount(c, AT - DAY, kind === 'repeating' ? AT + DAY : null)]}),
          )[0]!
          expect(discounted.mrr).toBeLessThanOrEqual(plain.mrr)
          if (kind !== 'forever') expect(discounted.mrr).toBe(plain.mrr)
          else
            expect(discounted.unit_mrr).toBe(roundHalfUp((discounted.list_mrr / spec.quantity) * (1 - percent / 100)))
        }),
      )
    })
  })
})
