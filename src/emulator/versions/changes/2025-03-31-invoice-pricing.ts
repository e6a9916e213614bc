import type {ApiObject} from '../../resource.js'
import {PRICES, renderPlan} from '../../resources/prices.js'
import {type DowngradeContext, type VersionChange, idOf} from '../change.js'

/** The price and plan a `pricing` names, as the fields older versions carry: `price` expanded, `plan` for a recurring price. */
function priceAndPlan(object: ApiObject, ctx: DowngradeContext): void {
  const pricing = object.pricing as
    {price_details?: {price?: unknown} | null; unit_amount_decimal?: unknown} | undefined
  const id = idOf(pricing?.price_details?.price)
  const price = id === null ? undefined : ctx.account.store.of(PRICES).get(id)
  object.price = id === null ? null : (ctx.render(id) ?? null)
  object.plan = price?.recurring ? renderPlan(price) : null
}

/**
 * Before basil invoice items and lines carry `price` (expanded) and `plan`, an item its
 * `unit_amount` and `unit_amount_decimal`, a line its `*_excluding_tax` amounts; basil replaced them
 * with `pricing` (SB-V20).
 */
export const invoicePricing: VersionChange = {
  version: '2025-03-31.basil',
  name: 'invoice-pricing',
  rule: 'SB-V20',
  up(request) {
    // `price` on an invoice item is `pricing[price]` since basil.
    if (request.method !== 'POST' || !/^\/v1\/invoiceitems(\/[^/]+)?$/.test(request.path)) return
    if (request.params.price === undefined) return
    request.params.pricing = {price: request.params.price}
    delete request.params.price
  },
  down: {
    invoiceitem(item, ctx) {
      priceAndPlan(item, ctx)
      const decimal = (item.pricing as {unit_amount_decimal?: string | null} | undefined)?.unit_amount_decimal ?? null
      item.unit_amount_decimal = decimal
      item.unit_amount = decimal === null ? null : Math.round(Number(decimal))
      delete item.pricing
    },
    line_item(line, ctx) {
      priceAndPlan(line, ctx)
      const quantity = Number(line.quantity) || 0
      const taxes = (line.taxes as Array<{amount: number; tax_behavior: string}> | undefined) ?? []
      const inclusive = taxes
        .filter((tax) => tax.tax_behavior === 'inclusive')
        .reduce((sum, tax) => sum + tax.amount, 0)
      const excluding = Number(line.amount) - inclusive
      line.amount_excluding_tax = excluding
      line.unit_amount_excluding_tax = quantity ? String(excluding / quantity) : null
      delete line.pricing
    },
  },
}
