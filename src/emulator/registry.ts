import type {Account} from './account.js'
import type {ApiObject, Resource, Route} from './resource.js'
import {billingMeterEvents, billingMeters} from './resources/billing-meters.js'
import {billingPortalConfigurations, billingPortalSessions} from './resources/billing-portal.js'
import {charges} from './resources/charges.js'
import {checkoutSessions} from './resources/checkout-sessions.js'
import {coupons} from './resources/coupons.js'
import {creditNotes} from './resources/credit-notes.js'
import {customerBalanceTransactions} from './resources/customer-balance-transactions.js'
import {customerSources} from './resources/customer-sources.js'
import {customers} from './resources/customers/routes.js'
import {discounts} from './resources/discounts.js'
import {events} from './resources/events.js'
import {invoiceItems} from './resources/invoice-items/routes.js'
import {invoicePayments} from './resources/invoice-payments.js'
import {invoicePreviews} from './resources/invoice-previews.js'
import {invoices} from './resources/invoices/routes.js'
import {paymentIntents} from './resources/payment-intents.js'
import {paymentMethods} from './resources/payment-methods.js'
import {plans} from './resources/plans.js'
import {prices} from './resources/prices.js'
import {products} from './resources/products.js'
import {promotionCodes} from './resources/promotion-codes.js'
import {refunds} from './resources/refunds/routes.js'
import {searches} from './resources/search.js'
import {setupIntents} from './resources/setup-intents.js'
import {subscriptionSchedules} from './resources/subscription-schedules.js'
import {subscriptionItems} from './resources/subscription-items.js'
import {subscriptions} from './resources/subscriptions/routes.js'
import {taxRates} from './resources/tax-rates.js'
import {testClocks} from './resources/test-clocks.js'
import {webhookEndpoints} from './resources/webhook-endpoints.js'

/**
 * Every resource the emulator models. Routes, `expand[]` lookups (by id prefix), the time engine's
 * billing events and the accepted-parameter table (scripts/extract-stripe-contract.mjs) all derive
 * from this list. To add a resource: write `resources/<name>.ts` exporting a `Resource` (its record,
 * routes, rendering, parameters and due events), add it here, then run scripts/extract-stripe-contract.mjs.
 */
export const RESOURCES: readonly Resource[] = [
  testClocks,
  products,
  prices,
  plans,
  customers,
  customerBalanceTransactions,
  customerSources,
  paymentMethods,
  subscriptions,
  subscriptionItems,
  subscriptionSchedules,
  invoices,
  // After invoices: expand[] finds an invoice's includable fields on the first resource of its object.
  invoicePreviews,
  invoiceItems,
  invoicePayments,
  paymentIntents,
  setupIntents,
  charges,
  refunds,
  creditNotes,
  coupons,
  promotionCodes,
  discounts,
  taxRates,
  events,
  webhookEndpoints,
  checkoutSessions,
  billingPortalConfigurations,
  billingPortalSessions,
  searches,
  billingMeters,
  billingMeterEvents,
]

/**
 * Who forgets a deleted clock's objects first. Subscriptions and payment methods find theirs through
 * the clock's customers (customersOnClock), so they go before customers; the clock itself goes last.
 * The others keep their own by-clock indexes and may go in any order: this one is the registry's, reversed.
 */
export const CLOCK_DELETION_ORDER: readonly Resource[] = [
  creditNotes,
  refunds,
  charges,
  setupIntents,
  paymentIntents,
  invoicePayments,
  invoiceItems,
  invoices,
  subscriptions,
  paymentMethods,
  customerBalanceTransactions,
  customers,
  testClocks,
]

export const ROUTES: readonly Route[] = RESOURCES.flatMap((resource) => resource.routes)

/** The object for an id in the newest shape: the resource whose id prefix the id carries renders it; ids without a prefix (coupons) are tried on every resource. */
export function renderById(account: Account, id: string): ApiObject | undefined {
  const owner = RESOURCES.find((resource) => resource.idPrefixes.some((prefix) => id.startsWith(prefix)))
  if (owner) return owner.render?.(account, id)
  for (const resource of RESOURCES) {
    const found = resource.render?.(account, id)
    if (found) return found
  }
  return undefined
}
