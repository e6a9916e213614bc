/** A subscription as stored: its record, collection and indexes, and lookups that only read it. */
import {HOUR, DAY} from '../../../billing-time.js'
import {type Account} from '../../account.js'
import {type Metadata} from '../../params.js'
import {collectionKey} from '../../store.js'
import {PRICES, type PriceRecord} from '../prices.js'
import {type CollectionPause} from '../invoices/record.js'

export type SubscriptionStatus =
  'incomplete' | 'incomplete_expired' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'unpaid' | 'paused'

export interface SubscriptionItemRecord {
  id: string
  created: number
  price: string
  quantity: number
  metadata: Metadata
  /** The item's own tax rates; null lets the subscription's defaults apply (SB-78). */
  taxRates: string[] | null
  /** A metered item bills only the usage after its price last changed (SB-U11). */
  usageSince?: number
}

export interface SubscriptionRecord {
  id: string
  created: number
  customer: string
  currency: string
  items: SubscriptionItemRecord[]
  status: SubscriptionStatus
  /** Endive: why a subscription is paused (SB-66). */
  pausedReason: string | null
  /** When it last became paused: `status_details.paused.transitioned_at` (SB-66). */
  pausedAt?: number
  billingMode: 'flexible' | 'classic'
  /** send_invoice: invoices are sent with terms instead of charged (SB-70). */
  collectionMethod: 'charge_automatically' | 'send_invoice'
  daysUntilDue: number | null
  startDate: number
  billingCycleAnchor: number
  /** Whole periods from the anchor to the current period's start: period ends never drift (SB-20). */
  cycles: number
  periodStart: number
  periodEnd: number
  trialStart: number | null
  trialEnd: number | null
  trialWillEndSent: boolean
  missingPaymentMethod: 'cancel' | 'pause' | 'create_invoice'
  cancelAt: number | null
  cancelAtPeriodEnd: boolean
  canceledAt: number | null
  endedAt: number | null
  cancellation: {comment: string | null; feedback: string | null; reason: string | null}
  pauseCollection: {behavior: CollectionPause; resumesAt: number | null} | null
  discounts: string[]
  /** Tax rates of every item without its own (SB-78). */
  defaultTaxRates: string[]
  defaultPaymentMethod: string | null
  description: string | null
  metadata: Metadata
  latestInvoice: string | null
  /** A first invoice left unpaid expires the subscription at this time (SB-29). */
  incompleteExpiresAt: number | null
  /** The last full-period debit line of each item: what a credit proration offsets (SB-44). */
  lastDebit: Record<string, {invoice: string; line: string}>
  testClock: string | null
  /** While its create request runs, payment outcomes do not announce updates: the request announces the result. */
  creating: boolean
  seq: number
}

export const SUBSCRIPTIONS = collectionKey<SubscriptionRecord>('subscriptions', 'subscription')
export const BY_CUSTOMER = 'subscriptions-by-customer'
/** The subscription each item belongs to, for /v1/subscription_items. */
export const BY_ITEM = 'subscription-by-item'
/** The schedule that manages a subscription, kept by subscription-schedules.ts (SB-S1). */
export const SCHEDULE_OF_SUBSCRIPTION = 'schedule-of-subscription'
export const LIVE = new Set<SubscriptionStatus>(['incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'paused'])
export const INCOMPLETE_WINDOW = 23 * HOUR // SB-29
export const TRIAL_WILL_END_BEFORE = 3 * DAY // SB-51
export const MAX_TRIAL_DAYS = 730 // SB-48

export function subscriptionsOf(account: Account, customerId: string): SubscriptionRecord[] {
  return account.store.indexed(SUBSCRIPTIONS, BY_CUSTOMER, customerId)
}

export function priceOf(account: Account, id: string): PriceRecord {
  return account.store.of(PRICES).require(id)
}

/** Canceled or expired: its pending items can be billed on any invoice for the customer (SB-39). */
export function subscriptionEnded(account: Account, id: string): boolean {
  const status = account.store.of(SUBSCRIPTIONS).get(id)?.status
  return status === 'canceled' || status === 'incomplete_expired'
}
