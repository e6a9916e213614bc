/** A subscription and its items in the API shape, and the `customer.subscription.updated` they announce. */
import type Stripe from 'stripe'
import {type Account} from '../../account.js'
import {updating} from '../../resource.js'
import {isMetered, renderPlan, renderPrice} from '../prices.js'
import {renderTaxRate, TAX_RATES} from '../tax-rates.js'
import type {Wire} from '../../wire.js'
import {type SubscriptionRecord, type SubscriptionItemRecord, SCHEDULE_OF_SUBSCRIPTION, priceOf} from './record.js'

export function renderItem(
  account: Account,
  sub: SubscriptionRecord,
  item: SubscriptionItemRecord,
): Wire<Stripe.SubscriptionItem> {
  const price = priceOf(account, item.price)
  return {
    id: item.id,
    object: 'subscription_item',
    billing_thresholds: null,
    created: item.created,
    // Since basil the billing period lives on the item (SB-27).
    current_period_end: sub.periodEnd,
    current_period_start: sub.periodStart,
    // Item-level trials are not modelled: no item has one.
    current_trial: null,
    discounts: [],
    metadata: item.metadata,
    plan: renderPlan(price),
    price: renderPrice(price),
    // A metered item has no quantity: its usage is what it bills (SB-U11).
    ...(isMetered(price) ? {} : {quantity: item.quantity}),
    subscription: sub.id,
    tax_rates: (item.taxRates ?? []).map((id) => renderTaxRate(account.store.of(TAX_RATES).require(id))),
  }
}

export function renderSubscription(account: Account, sub: SubscriptionRecord): Wire<Stripe.Subscription> {
  return {
    id: sub.id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: {disabled_reason: null, enabled: false, liability: null},
    billing_cycle_anchor: sub.billingCycleAnchor,
    billing_cycle_anchor_config: null,
    // API subscriptions are flexible from clover on (SB-26).
    billing_mode:
      sub.billingMode === 'flexible'
        ? {flexible: {proration_discounts: 'included'}, type: 'flexible', updated_at: sub.created}
        : {flexible: null, type: 'classic'},
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: sub.cancelAt,
    cancel_at_period_end: sub.cancelAtPeriodEnd,
    canceled_at: sub.canceledAt,
    // Custom feedback options (billing.feedback_option) are not modelled: none is ever chosen.
    cancellation_details: {...sub.cancellation, feedback_option: null},
    collection_method: sub.collectionMethod,
    created: sub.created,
    currency: sub.currency,
    customer: sub.customer,
    customer_account: null,
    days_until_due: sub.daysUntilDue,
    default_payment_method: sub.defaultPaymentMethod,
    default_source: null,
    default_tax_rates: sub.defaultTaxRates.map((id) => renderTaxRate(account.store.of(TAX_RATES).require(id))),
    description: sub.description,
    discounts: sub.discounts,
    ended_at: sub.endedAt,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: {type: 'self'},
    },
    items: {
      object: 'list',
      data: sub.items.map((item) => renderItem(account, sub, item)),
      has_more: false,
      total_count: sub.items.length,
      url: `/v1/subscription_items?subscription=${sub.id}`,
    },
    latest_invoice: sub.latestInvoice,
    livemode: false,
    managed_payments: null,
    metadata: sub.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: sub.pauseCollection
      ? {behavior: sub.pauseCollection.behavior, resumes_at: sub.pauseCollection.resumesAt}
      : null,
    payment_settings: {payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off'},
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: account.store.index(SCHEDULE_OF_SUBSCRIPTION).ids(sub.id)[0] ?? null,
    start_date: sub.startDate,
    status: sub.status,
    // Endive: why it paused, only while paused (SB-66).
    ...(sub.status === 'paused' && sub.pausedReason
      ? {
          status_details: {
            paused: {
              subscription: {type: sub.pausedReason},
              transitioned_at: sub.pausedAt ?? sub.periodStart,
              type: 'subscription',
            },
          },
        }
      : {}),
    test_clock: sub.testClock,
    transfer_data: null,
    trial_end: sub.trialEnd,
    trial_settings: {end_behavior: {billing_cycle_anchor: 'now', missing_payment_method: sub.missingPaymentMethod}},
    trial_start: sub.trialStart,
  }
}

/** Emits `customer.subscription.updated` with what `change` altered (SB-68); quiet while the create request runs. */
export function changing<T>(account: Account, sub: SubscriptionRecord, change: () => T): T {
  if (sub.creating) return change()
  return updating(
    account,
    'customer.subscription.updated',
    sub.testClock,
    () => renderSubscription(account, sub),
    change,
  )
}
