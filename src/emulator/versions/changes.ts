import type {VersionChange} from './change.js'
import {paymentIntentCharges} from './changes/2022-11-15-payment-intent-charges.js'
import {productMarketingFeatures} from './changes/2024-04-10-product-marketing-features.js'
import {aggregateUsage} from './changes/2025-03-31-aggregate-usage.js'
import {invoiceParent} from './changes/2025-03-31-invoice-parent.js'
import {invoicePayments} from './changes/2025-03-31-invoice-payments.js'
import {invoicePricing} from './changes/2025-03-31-invoice-pricing.js'
import {invoiceTaxes} from './changes/2025-03-31-invoice-taxes.js'
import {singularDiscount} from './changes/2025-03-31-singular-discount.js'
import {subscriptionItemPeriods} from './changes/2025-03-31-subscription-item-periods.js'
import {totalCount} from './changes/2025-03-31-total-count.js'
import {upcomingInvoice} from './changes/2025-03-31-upcoming-invoice.js'
import {discountSource} from './changes/2025-09-30-discount-source.js'
import {promotionCodePromotion} from './changes/2025-09-30-promotion-code-promotion.js'
import {paymentMethodTypesParam} from './changes/2026-09-30-payment-method-types-param.js'
import {VERSIONS} from './registry.js'

/**
 * Every breaking change modelled, newest first: a response is turned back through each change
 * newer than the version asked for, in this order (SB-V5). Supporting a version is adding its
 * changes here. Changes with no effect on the objects modelled have no module (SB-V17).
 */
export const CHANGES: readonly VersionChange[] = [
  paymentMethodTypesParam,
  discountSource,
  promotionCodePromotion,
  subscriptionItemPeriods,
  singularDiscount,
  invoiceParent,
  invoicePayments,
  invoicePricing,
  invoiceTaxes,
  totalCount,
  upcomingInvoice,
  aggregateUsage,
  productMarketingFeatures,
  paymentIntentCharges,
]

const position = new Map<string, number>(VERSIONS.map((version, index) => [version, index]))
for (const [index, change] of CHANGES.entries()) {
  const previous = CHANGES[index - 1]
  if (previous && (position.get(previous.version) ?? 0) < (position.get(change.version) ?? 0))
    throw new Error(`src/emulator/versions/changes.ts: ${change.name} is listed out of order`)
}
