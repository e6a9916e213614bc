/** How a subscription moves by itself: payment outcomes, endings, trials and the time engine's events. */
import {type Interval, addIntervals} from '../../../billing-time.js'
import {type Account} from '../../account.js'
import {notModelled} from '../../errors.js'
import {type DueEvent} from '../../resource.js'
import {RANK} from '../../time-engine.js'
import {customersOnClock} from '../customers/record.js'
import {DISCOUNTS} from '../discounts.js'
import {pendingItems, deleteInvoiceItem} from '../invoice-items/record.js'
import {type InvoiceRecord, invoicesOfSubscription} from '../invoices/record.js'
import {stopCollection, voidInvoice} from '../invoices/lifecycle.js'
import {payingMethod} from '../payment-methods.js'
import {subscriptionsOf, LIVE, SUBSCRIPTIONS, type SubscriptionRecord, TRIAL_WILL_END_BEFORE} from './record.js'
import {
  cadence,
  creditUnusedTime,
  periodEndAfter,
  invoiceSubscription,
  fullPeriodLines,
  hasMeteredItem,
  removeDiscounts,
  usageLines,
} from './billing.js'
import {changing, renderSubscription} from './render.js'

/** The shortest billing cadence among a clock's live subscriptions: what bounds one advance (SB-12). */
export function shortestLiveInterval(
  account: Account,
  clockId: string,
): {interval: Interval; count: number} | undefined {
  let shortest: {interval: Interval; count: number; end: number} | undefined
  for (const customer of customersOnClock(account, clockId)) {
    for (const sub of subscriptionsOf(account, customer.id)) {
      if (!LIVE.has(sub.status)) continue
      const {interval, intervalCount} = cadence(account, sub)
      const end = addIntervals(0, interval, intervalCount)
      if (!shortest || end < shortest.end) shortest = {interval, count: intervalCount, end}
    }
  }
  return shortest && {interval: shortest.interval, count: shortest.count}
}

// ── payment outcomes (signalled by the invoices module through the account) ─

export function subscriptionInvoicePaid(account: Account, invoice: InvoiceRecord, at: number): void {
  const sub = invoice.subscription ? account.store.of(SUBSCRIPTIONS).get(invoice.subscription) : undefined
  if (!sub) return
  changing(account, sub, () => {
    // Paying the first invoice makes an incomplete subscription active (SB-29).
    if (sub.status === 'incomplete') {
      sub.status = sub.trialEnd !== null && sub.trialEnd > at ? 'trialing' : 'active'
      sub.incompleteExpiresAt = null
    }
    if (sub.status === 'past_due' && invoicesOfSubscription(account, sub.id).every((other) => other.status !== 'open'))
      sub.status = 'active'
  })
}

export function subscriptionInvoiceFailed(account: Account, invoice: InvoiceRecord): void {
  const sub = invoice.subscription ? account.store.of(SUBSCRIPTIONS).get(invoice.subscription) : undefined
  if (!sub || sub.creating) return
  // A failed renewal or update charge makes the subscription past_due (SB-33).
  changing(account, sub, () => {
    if (sub.status === 'active' || sub.status === 'trialing') sub.status = 'past_due'
  })
}

/** A send_invoice invoice unpaid by its due date makes the subscription past_due (SB-70). */
export function subscriptionInvoiceOverdue(account: Account, invoice: InvoiceRecord): void {
  const sub = invoice.subscription ? account.store.of(SUBSCRIPTIONS).get(invoice.subscription) : undefined
  if (!sub) return
  changing(account, sub, () => {
    if (sub.status === 'active') sub.status = 'past_due'
  })
}

/** When Smart Retries run out the subscription is canceled, marked unpaid or left past_due, as the account is set (SB-34). */
export function subscriptionRetriesExhausted(account: Account, invoice: InvoiceRecord, at: number): void {
  const sub = invoice.subscription ? account.store.of(SUBSCRIPTIONS).get(invoice.subscription) : undefined
  if (!sub || !LIVE.has(sub.status)) return
  const action = account.options.retriesExhausted ?? 'cancel'
  if (action === 'cancel') return endSubscription(account, sub, at, 'payment_failed')
  if (action === 'unpaid') changing(account, sub, () => (sub.status = 'unpaid'))
}

// ── state changes ──────────────────────────────────────────────────────────

function endSubscription(account: Account, sub: SubscriptionRecord, at: number, reason: string | null): void {
  changing(account, sub, () => {
    sub.status = 'canceled'
    sub.canceledAt ??= at
    sub.endedAt = at
    sub.cancelAt = null
    sub.cancellation = {...sub.cancellation, reason}
    sub.incompleteExpiresAt = null
  })
  stopCollection(account, sub.customer)
  account.emit('customer.subscription.deleted', () => renderSubscription(account, sub), sub.testClock)
  account.signal('subscriptionEnded', {subscription: sub, at})
}

/**
 * Cancels now (SB-62). `prorate` credits the unused time; `invoiceNow` would bill pending
 * prorations at once; with neither, the subscription's pending prorations are removed.
 */
export function cancelNow(
  account: Account,
  sub: SubscriptionRecord,
  at: number,
  options: {prorate: boolean; invoiceNow: boolean},
): void {
  // Canceling bills or drops the period's usage so far; neither is modelled (SB-U11).
  if (hasMeteredItem(account, sub.items))
    throw notModelled('canceling a subscription with metered prices before its period ends (SB-U11)')
  if (options.prorate && (sub.status === 'active' || sub.status === 'past_due'))
    creditUnusedTime(account, sub, at, sub.items)
  const pending = pendingItems(account, sub.customer, sub.currency, sub.id).filter(
    (item) => item.subscription === sub.id,
  )
  if (options.invoiceNow && pending.length > 0)
    throw notModelled(
      "invoice_now=true on a cancel with pending prorations (the final invoice's billing_reason is undocumented)",
    )
  if (!options.invoiceNow && !options.prorate)
    for (const item of pending) if (item.proration) deleteInvoiceItem(account, item)
  endSubscription(account, sub, at, 'cancellation_requested')
}

/** Subscriptions of a deleted customer end at once (SB-67), one customer.subscription.deleted each (our choice, unconfirmed). */
export function endSubscriptionsOfDeletedCustomer(account: Account, customerId: string): void {
  for (const sub of subscriptionsOf(account, customerId)) {
    if (!LIVE.has(sub.status)) continue
    cancelNow(account, sub, account.nowFor(sub.testClock), {prorate: false, invoiceNow: false})
  }
}

// ── the time engine's events for subscriptions ─────────────────────────────

/** A renewal at `at`, as the time engine runs it and as an invoice preview runs it to be undone (SB-U12). */
export function renew(account: Account, sub: SubscriptionRecord, at: number): void {
  changing(account, sub, () => {
    const previousStart = sub.periodStart
    sub.cycles++
    sub.periodStart = at
    sub.periodEnd = periodEndAfter(sub.billingCycleAnchor, cadence(account, sub), sub.cycles + 1)
    // Licensed items for the new period, metered ones for the usage of the period that ended (SB-U11).
    const lines = [...fullPeriodLines(account, sub, false), ...usageLines(account, sub, previousStart, at)]
    invoiceSubscription(account, sub, 'subscription_cycle', at, lines, previousStart)
  })
}

/** At trial end: bill the first paid period, or cancel or pause without a payment method (SB-50). */
export function endTrial(account: Account, sub: SubscriptionRecord, at: number): void {
  const card = payingMethod(account, sub.defaultPaymentMethod, sub.customer)
  if (!card && sub.missingPaymentMethod === 'cancel') return endSubscription(account, sub, at, null)
  if (!card && sub.missingPaymentMethod === 'pause') {
    changing(account, sub, () => {
      sub.status = 'paused'
      sub.pausedReason = 'trial_end_without_payment_method'
      sub.pausedAt = at
    })
    account.emit('customer.subscription.paused', () => renderSubscription(account, sub), sub.testClock)
    return
  }
  changing(account, sub, () => {
    const trialStart = sub.periodStart
    sub.status = 'active'
    sub.billingCycleAnchor = at
    sub.cycles = 0
    sub.periodStart = at
    sub.periodEnd = periodEndAfter(at, cadence(account, sub), 1)
    // The trial-end invoice: billing_reason subscription_cycle (SB-49: unconfirmed), draft for an hour.
    invoiceSubscription(account, sub, 'subscription_cycle', at, fullPeriodLines(account, sub, false), trialStart)
  })
}

export function trialWillEnd(account: Account, sub: SubscriptionRecord): void {
  sub.trialWillEndSent = true
  account.emit('customer.subscription.trial_will_end', () => renderSubscription(account, sub), sub.testClock)
}

function expireIncomplete(account: Account, sub: SubscriptionRecord, at: number): void {
  // An unpaid first invoice after 23 hours: incomplete_expired, terminal, the invoice voided (SB-29).
  changing(account, sub, () => {
    sub.status = 'incomplete_expired'
    sub.endedAt = at
    sub.incompleteExpiresAt = null
  })
  for (const invoice of invoicesOfSubscription(account, sub.id))
    if (invoice.status === 'open') voidInvoice(account, invoice, at)
}

export function dueEvents(account: Account, clockId: string): DueEvent[] {
  const events: DueEvent[] = []
  for (const customer of customersOnClock(account, clockId)) {
    for (const sub of subscriptionsOf(account, customer.id)) {
      const add = (at: number | null, rank: number, run: (at: number) => void) => {
        if (at !== null) events.push({at, rank, seq: sub.seq, run: () => run(at)})
      }
      if (sub.status === 'incomplete')
        add(sub.incompleteExpiresAt, RANK.incompleteExpiry, (at) => expireIncomplete(account, sub, at))
      if (!['trialing', 'active', 'past_due', 'unpaid'].includes(sub.status)) continue
      for (const id of sub.discounts) {
        const discount = account.store.of(DISCOUNTS).get(id)
        // A repeating discount ends at its `end` (SB-60).
        if (typeof discount?.end === 'number')
          add(discount.end, RANK.discountEnd, (at) =>
            changing(account, sub, () => removeDiscounts(account, sub, (d) => d.end !== null && d.end <= at)),
          )
      }
      if (sub.cancelAt !== null)
        add(sub.cancelAt, RANK.cancellation, (at) => endSubscription(account, sub, at, 'cancellation_requested'))
      if (typeof sub.pauseCollection?.resumesAt === 'number')
        add(sub.pauseCollection.resumesAt, RANK.resumeCollection, () =>
          changing(account, sub, () => (sub.pauseCollection = null)),
        )
      if (sub.status === 'trialing' && sub.trialEnd !== null) {
        if (!sub.trialWillEndSent)
          add(Math.max(sub.trialStart ?? 0, sub.trialEnd - TRIAL_WILL_END_BEFORE), RANK.trialWillEnd, () =>
            trialWillEnd(account, sub),
          )
        add(sub.trialEnd, RANK.trialEnd, (at) => endTrial(account, sub, at))
        continue
      }
      add(sub.periodEnd, RANK.renewal, (at) => renew(account, sub, at))
    }
  }
  return events
}
