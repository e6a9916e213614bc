/**
 * `POST /v1/invoices/create_preview`: the invoice Stripe would create next, made by the real
 * billing code inside the request's transaction and then undone (SB-U12).
 */
import type Stripe from 'stripe'
import type {Account} from '../account.js'
import {ApiError, invalid, notModelled} from '../errors.js'
import {checkNested, checkParams, str} from '../params.js'
import {type ApiObject, COMMON, type Resource, type RouteContext, route} from '../resource.js'
import {liveCustomer} from './customers/record.js'
import {INVOICE_ITEMS, PENDING_BY_CUSTOMER} from './invoice-items/record.js'
import {type InvoiceRecord, INVOICES} from './invoices/record.js'
import {renderInvoice} from './invoices/render.js'
import {endTrial, renew} from './subscriptions/lifecycle.js'
import {SUBSCRIPTIONS, type SubscriptionRecord, subscriptionsOf} from './subscriptions/record.js'
import {updateSubscription} from './subscriptions/routes.js'
import type {Wire} from '../wire.js'

const ENDPOINT = 'POST /v1/invoices/create_preview'

/** subscription_details keys, as SN23 documents them, and those passed on to the subscription update. */
const DETAILS_KNOWN = [
  'billing_cycle_anchor',
  'billing_mode',
  'billing_schedules',
  'cancel_at',
  'cancel_at_period_end',
  'cancel_now',
  'default_tax_rates',
  'items',
  'metadata',
  'pause',
  'proration_behavior',
  'proration_date',
  'resume_at',
  'start_date',
  'trial_end',
] as const
const DETAILS_HANDLED = [
  'billing_cycle_anchor',
  'cancel_at',
  'cancel_at_period_end',
  'default_tax_rates',
  'items',
  'metadata',
  'proration_behavior',
  'proration_date',
  'trial_end',
] as const

/** The subscriptions that bill again: a live one whose next invoice is at its period or trial end. */
const BILLS_AGAIN = new Set(['trialing', 'active', 'past_due', 'unpaid'])

/** When the subscription's next invoice comes, or null when it has none (it ends first, or bills no more). */
function nextInvoiceAt(sub: SubscriptionRecord): number | null {
  if (!BILLS_AGAIN.has(sub.status)) return null
  const at = sub.status === 'trialing' && sub.trialEnd !== null ? sub.trialEnd : sub.periodEnd
  if (sub.cancelAt !== null && sub.cancelAt <= at) return null
  return at
}

function noUpcoming(customer: string): ApiError {
  return new ApiError(
    404,
    'invalid_request_error',
    `No upcoming invoices for customer: ${customer}`,
    'invoice_upcoming_none',
  )
}

/** Runs the subscription's next billing event (a renewal, or its trial's end) and answers the invoice it makes. */
function nextInvoice(account: Account, sub: SubscriptionRecord): InvoiceRecord {
  const at = nextInvoiceAt(sub)
  if (at === null) throw noUpcoming(sub.customer)
  const before = sub.latestInvoice
  if (sub.status === 'trialing') endTrial(account, sub, at)
  else renew(account, sub, at)
  // A trial ending without a payment method cancels or pauses instead of invoicing (SB-50).
  if (sub.latestInvoice === before || sub.latestInvoice === null) throw noUpcoming(sub.customer)
  return account.store.of(INVOICES).require(sub.latestInvoice)
}

/**
 * The invoice as a preview shows it (SB-U12): an `upcoming_in_…` id, billing_reason `upcoming`, a
 * draft, and nothing paid or numbered, even when the change it previews invoices and charges at once.
 */
function asPreview(rendered: Wire<Stripe.Invoice>, prorationDate: number | null): Wire<Stripe.Invoice> {
  const {parent, lines} = rendered
  const due = rendered.amount_due
  const id = `upcoming_${rendered.id}`
  return {
    ...rendered,
    id,
    lines: {...lines, data: lines.data.map((line) => ({...line, invoice: id})), url: `/v1/invoices/${id}/lines`},
    amount_paid: 0,
    amount_remaining: due,
    attempt_count: 0,
    attempted: false,
    automatically_finalizes_at: null,
    billing_reason: 'upcoming',
    effective_at: null,
    ending_balance: null,
    next_payment_attempt: null,
    number: null,
    status: 'draft',
    status_transitions: {finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null},
    ...(parent?.subscription_details && prorationDate !== null
      ? {
          parent: {
            ...parent,
            subscription_details: {...parent.subscription_details, subscription_proration_date: prorationDate},
          },
        }
      : {}),
  }
}

function createPreview(ctx: RouteContext): ApiObject {
  const {account, params} = ctx
  checkParams(
    params,
    'InvoiceCreatePreviewParams',
    [...COMMON, 'customer', 'subscription', 'subscription_details'],
    ENDPOINT,
  )
  const details =
    params.subscription_details === undefined
      ? {}
      : checkNested(params.subscription_details, 'subscription_details', DETAILS_KNOWN, DETAILS_HANDLED, ENDPOINT)
  // Everything below runs for real and is undone once the answer is rendered: the preview creates nothing.
  account.discardChanges()
  let sub: SubscriptionRecord | undefined
  if (params.subscription !== undefined) {
    sub = account.store.of(SUBSCRIPTIONS).require(str(params.subscription, 'subscription'), 'subscription')
    if (params.customer !== undefined && params.customer !== sub.customer)
      throw invalid(
        `The subscription ${sub.id} does not belong to the customer ${params.customer as string}.`,
        'customer',
      )
  } else {
    if (params.customer === undefined)
      throw invalid('Either `customer` or `subscription` is required.', 'customer', 'parameter_missing')
    const customer = liveCustomer(account, str(params.customer, 'customer'), 'customer')
    if (details.items !== undefined)
      throw notModelled('previewing a new subscription (subscription_details[items] without subscription)')
    if (Object.keys(details).length > 0)
      throw invalid('subscription_details needs `subscription` unless it creates a new subscription.', 'subscription')
    // The customer's next invoice: the subscription that bills first (Stripe's "next upcoming invoice").
    sub = subscriptionsOf(account, customer.id)
      .filter((candidate) => nextInvoiceAt(candidate) !== null)
      .sort((a, b) => (nextInvoiceAt(a) ?? 0) - (nextInvoiceAt(b) ?? 0) || a.seq - b.seq)[0]
    if (!sub) {
      if (account.store.indexed(INVOICE_ITEMS, PENDING_BY_CUSTOMER, customer.id).length > 0)
        throw notModelled("previewing a customer's pending invoice items without a subscription that bills again")
      throw noUpcoming(customer.id)
    }
  }
  let prorationDate: number | null = null
  if (Object.keys(details).length > 0) {
    const before = sub.latestInvoice
    // The change as the subscription update makes it, prorations included (SB-41).
    updateSubscription({
      ...ctx,
      params: details,
      path: `/v1/subscriptions/${sub.id}`,
      ids: [sub.id],
    })
    prorationDate =
      details.proration_date === undefined ? account.nowFor(sub.testClock) : Number(details.proration_date)
    // A change that invoices at once (always_invoice) previews that invoice; else the next one, with the prorations pending.
    if (sub.latestInvoice !== before && sub.latestInvoice !== null)
      return asPreview(renderInvoice(account, account.store.of(INVOICES).require(sub.latestInvoice)), prorationDate)
  }
  return asPreview(renderInvoice(account, nextInvoice(account, sub)), prorationDate)
}

export const invoicePreviews: Resource = {
  object: 'invoice',
  idPrefixes: [],
  documentedParams: {file: 'Invoices.d.ts', interfaces: ['InvoiceCreatePreviewParams']},
  routes: [route('POST', '/v1/invoices/create_preview', createPreview)],
}
