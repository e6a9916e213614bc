import type Stripe from 'stripe'

import {type Config, type Coupon, customerCurrencies, planAmount} from '../config/schema.js'
import {addonAmount, yearlyAmount} from './features.js'

export {addonAmount} from './features.js'

/**
 * What `prices seed` must hold in Stripe for a scenario: products, prices per plan × currency ×
 * interval, coupons and promotion codes, each with a stable key a re-run finds it by. Pure: the
 * prices seed service creates what is missing (SB-18: list prices by lookup_keys).
 *
 * Lookup keys (stable; downstream readers may rely on them):
 *   stripe_seed_<plan>_monthly               the plan's monthly price in its own currency (unchanged since the original)
 *   stripe_seed_<plan>_yearly                its yearly price, same currency
 *   stripe_seed_<plan>_<monthly|yearly>_<cur> the same in another currency (ISO code, lower case)
 *   stripe_seed_addon_<addon>_monthly[_<cur>] the add-on's flat monthly price (the first plan's currency unsuffixed)
 * An add-on's catalog entries carry the add-on's key where a plan's carry the plan's: the ledger
 * names its item by it. Coupons: id stripe_seed_<coupon id> (Stripe accepts a custom coupon id). Promotion codes: the
 * configured code, found again by `promotionCodes.list({code})`.
 */

export type BillingInterval = 'month' | 'year'

export interface CatalogPrice {
  lookupKey: string
  plan: string
  currency: string
  interval: BillingInterval
  unitAmount: number
  params: Stripe.PriceCreateParams
}

export interface CatalogCoupon {
  id: string
  /** The config's coupon id. */
  key: string
  params: Stripe.CouponCreateParams
}

export interface CatalogPromotionCode {
  code: string
  coupon: string
  params: Stripe.PromotionCodeCreateParams
}

export interface Catalog {
  products: Array<{id: string; plan: string; params: Stripe.ProductCreateParams}>
  prices: CatalogPrice[]
  coupons: CatalogCoupon[]
  promotionCodes: CatalogPromotionCode[]
}

export function productIdFor(planKey: string): string {
  return `stripe_seed_${planKey}`
}

export function priceLookupKey(
  planKey: string,
  interval: BillingInterval,
  currency: string,
  planCurrency: string,
): string {
  const base = `stripe_seed_${planKey}_${interval === 'year' ? 'yearly' : 'monthly'}`
  return currency === planCurrency ? base : `${base}_${currency}`
}

export function addonProductIdFor(addonKey: string): string {
  return `stripe_seed_addon_${addonKey}`
}

/** The add-on's prices are in the first plan's currency and every other one with a priceFactor. */
export function addonLookupKey(addonKey: string, currency: string, baseCurrency: string): string {
  const base = `${addonProductIdFor(addonKey)}_monthly`
  return currency === baseCurrency ? base : `${base}_${currency}`
}

export function couponIdFor(couponKey: string): string {
  return `stripe_seed_${couponKey}`
}

/** The price per screen per period a customer pays for `plan` in `currency` at `interval`. */
export function unitAmountFor(
  config: Pick<Config, 'plans' | 'currencies' | 'yearly'>,
  planKey: string,
  interval: BillingInterval,
  currency: string,
): number {
  const plan = config.plans.find((p) => p.key === planKey)
  const monthly = plan ? planAmount(config, plan, currency) : undefined
  if (monthly === undefined) throw new Error(`BUG: plan ${planKey} has no price in ${currency}`)
  if (interval === 'month') return monthly
  if (!config.yearly) throw new Error(`BUG: plan ${planKey} has no yearly price: the config has no yearly section`)
  return yearlyAmount(monthly, config.yearly.discountPercent)
}

/** Yearly prices exist for paid plans only (a free plan has nothing to bill once a year). */
export function scenarioCatalog(config: Config): Catalog {
  const currencies = [...customerCurrencies(config)].sort()
  const products: Catalog['products'] = config.plans.map((plan) => ({
    id: productIdFor(plan.key),
    plan: plan.key,
    params: {
      id: productIdFor(plan.key),
      name: plan.name,
      ...(plan.description ? {description: plan.description} : {}),
      metadata: {stripe_seed_plan: plan.key},
    },
  }))
  const prices: CatalogPrice[] = []
  for (const plan of config.plans) {
    for (const currency of currencies) {
      const intervals: BillingInterval[] = config.yearly && plan.unitAmount > 0 ? ['month', 'year'] : ['month']
      for (const interval of intervals) {
        const unitAmount = unitAmountFor(config, plan.key, interval, currency)
        const lookupKey = priceLookupKey(plan.key, interval, currency, plan.currency)
        prices.push({
          lookupKey,
          plan: plan.key,
          currency,
          interval,
          unitAmount,
          params: {
            product: productIdFor(plan.key),
            currency,
            unit_amount: unitAmount,
            recurring: {interval, interval_count: 1, usage_type: 'licensed'},
            lookup_key: lookupKey,
            // A changed amount is a new price that takes the key over (SB-18).
            transfer_lookup_key: true,
            nickname: `${plan.name} (${interval === 'year' ? 'yearly' : 'monthly'}, ${currency.toUpperCase()})`,
            metadata: {stripe_seed_plan: plan.key, stripe_seed_interval: interval},
          },
        })
      }
    }
  }
  if (config.addon) {
    const addon = config.addon
    const baseCurrency = config.plans[0]!.currency
    products.push({
      id: addonProductIdFor(addon.key),
      plan: addon.key,
      params: {id: addonProductIdFor(addon.key), name: addon.name, metadata: {stripe_seed_addon: addon.key}},
    })
    for (const currency of currencies) {
      const unitAmount = addonAmount(config, addon, currency)
      if (unitAmount === undefined) continue
      const lookupKey = addonLookupKey(addon.key, currency, baseCurrency)
      prices.push({
        lookupKey,
        plan: addon.key,
        currency,
        interval: 'month',
        unitAmount,
        params: {
          product: addonProductIdFor(addon.key),
          currency,
          unit_amount: unitAmount,
          recurring: {interval: 'month', interval_count: 1, usage_type: 'licensed'},
          lookup_key: lookupKey,
          transfer_lookup_key: true,
          nickname: `${addon.name} (monthly, ${currency.toUpperCase()})`,
          // The run tells the add-on's item from the plan's by this (src/run/clock-pipeline.ts toState).
          metadata: {stripe_seed_addon: addon.key},
        },
      })
    }
  }
  const coupons = (config.coupons ?? []).map((coupon) => ({
    id: couponIdFor(coupon.id),
    key: coupon.id,
    params: couponParams(coupon, config),
  }))
  const promotionCodes = (config.coupons ?? []).flatMap((coupon) =>
    coupon.promotionCode
      ? [
          {
            code: coupon.promotionCode,
            coupon: couponIdFor(coupon.id),
            params: {
              promotion: {type: 'coupon' as const, coupon: couponIdFor(coupon.id)},
              code: coupon.promotionCode,
              metadata: {stripe_seed_coupon: coupon.id},
            },
          },
        ]
      : [],
  )
  return {products, prices, coupons, promotionCodes}
}

function couponParams(coupon: Coupon, config: Config): Stripe.CouponCreateParams {
  const off: Stripe.CouponCreateParams =
    coupon.percentOff === undefined
      ? {amount_off: coupon.amountOff, currency: coupon.currency ?? config.plans[0]!.currency}
      : {percent_off: coupon.percentOff}
  return {
    id: couponIdFor(coupon.id),
    name: coupon.name ?? coupon.id,
    ...off,
    duration: coupon.duration,
    ...(coupon.duration === 'repeating' ? {duration_in_months: coupon.durationInMonths} : {}),
    metadata: {stripe_seed_coupon: coupon.id},
  }
}
