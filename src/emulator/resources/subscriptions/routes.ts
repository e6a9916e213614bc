/** The subscriptions resource: create, update, cancel, pause, resume, retrieve and list. */
import {DAY} from '../../../billing-time.js'
import {type Account} from '../../account.js'
import {invalid, notModelled, ApiError} from '../../errors.js'
import {
  checkParams,
  str,
  required,
  objectArray,
  checkNested,
  int,
  mergeMetadata,
  oneOf,
  type Raw,
  bool,
  optStr,
} from '../../params.js'
import {
  COMMON,
  type RouteContext,
  type ApiObject,
  filter,
  type Resource,
  route,
  PAGINATION,
  list,
} from '../../resource.js'
import {assertOwnDiscounts, inheritedDiscount} from '../customers/discount.js'
import {liveCustomer, claimCurrency, CUSTOMERS, customersOnClock} from '../customers/record.js'
import {DISCOUNTS, renderDiscount} from '../discounts.js'
import {pendingItems} from '../invoice-items/record.js'
import {amountDue} from '../invoices/amounts.js'
import {finalizeInvoice} from '../invoices/lifecycle.js'
import {type InvoiceRecord} from '../invoices/record.js'
import {customerPaymentMethod, payingMethod} from '../payment-methods.js'
import {isMetered, recurringPrice} from '../prices.js'
import {taxRatesParam} from '../tax-rates.js'
import {assertClockWritable} from '../test-clocks.js'
import {
  checkBillingOptions,
  ITEM_KNOWN,
  sameCadence,
  collectionSettings,
  trialEndParam,
  requestedDiscounts,
  assertDiscountsModelled,
  attachDiscounts,
  subscriptionOf,
  cancellationDetails,
} from './parameters.js'
import {
  MAX_TRIAL_DAYS,
  type SubscriptionRecord,
  subscriptionsOf,
  LIVE,
  SUBSCRIPTIONS,
  BY_CUSTOMER,
  BY_ITEM,
  INCOMPLETE_WINDOW,
  TRIAL_WILL_END_BEFORE,
} from './record.js'
import {
  hasInclusiveRate,
  periodAmount,
  periodEndAfter,
  invoiceSubscription,
  fullPeriodLines,
  billNow,
  removeDiscounts,
  restartPeriod,
  creditUnusedTime,
  startPeriodAt,
  hasMeteredItem,
  refreshUsageLines,
} from './billing.js'
import {renderSubscription, changing} from './render.js'
import {
  cancelNow,
  dueEvents,
  endSubscriptionsOfDeletedCustomer,
  endTrial,
  shortestLiveInterval,
  subscriptionInvoiceFailed,
  subscriptionInvoiceOverdue,
  subscriptionInvoicePaid,
  subscriptionRetriesExhausted,
  trialWillEnd,
} from './lifecycle.js'
import {UPDATE_HANDLED, assertUpdatable, parseItemChanges, itemsAfter, sameBilling, changeItems} from './items.js'

// ── create ─────────────────────────────────────────────────────────────────

const CREATE_HANDLED = [
  ...COMMON,
  'customer',
  'currency',
  'items',
  'default_payment_method',
  'metadata',
  'description',
  'proration_behavior',
  'payment_behavior',
  'collection_method',
  'days_until_due',
  'cancel_at_period_end',
  'cancel_at',
  'payment_settings',
  'off_session',
  'trial_period_days',
  'trial_end',
  'trial_from_plan',
  'trial_settings',
  'discounts',
  'billing_mode',
  'default_tax_rates',
] as const

export function createSubscription(ctx: RouteContext): ApiObject {
  const endpoint = 'POST /v1/subscriptions'
  const {account, params} = ctx
  checkParams(params, 'SubscriptionCreateParams', CREATE_HANDLED, endpoint)
  checkBillingOptions(params, endpoint)
  const customer = liveCustomer(account, str(required(params, 'customer'), 'customer'), 'customer')
  assertClockWritable(account, customer.testClock)
  const now = account.nowFor(customer.testClock)
  const items = objectArray(required(params, 'items'), 'items').map((raw, index) => {
    const item = checkNested(
      raw,
      `items[${index}]`,
      ITEM_KNOWN.filter((k) => k !== 'id' && k !== 'deleted' && k !== 'clear_usage'),
      ['price', 'quantity', 'metadata', 'plan', 'tax_rates'],
      endpoint,
    )
    const price = recurringPrice(
      account,
      str(item.price ?? item.plan ?? required(item, 'price'), `items[${index}][price]`),
      `items[${index}][price]`,
    )
    // An item's own rates replace the subscription's defaults; `''` or none leaves the defaults (SB-78).
    const taxRates =
      item.tax_rates === undefined || item.tax_rates === ''
        ? null
        : taxRatesParam(account, item.tax_rates, `items[${index}][tax_rates]`)
    // A metered item's quantity is its usage (SB-U11).
    if (item.quantity !== undefined && isMetered(price))
      throw invalid('Quantity should not be specified where usage_type is `metered`.', `items[${index}][quantity]`)
    return {
      price,
      quantity: item.quantity === undefined ? 1 : int(item.quantity, `items[${index}][quantity]`),
      metadata: mergeMetadata({}, item.metadata),
      taxRates,
    }
  })
  if (items.length === 0) throw invalid('Missing required param: items.', 'items', 'parameter_missing')
  if (new Set(items.map((item) => item.price.id)).size !== items.length)
    throw invalid('Cannot add multiple subscription items with the same price.', 'items')
  if (new Set(items.map((item) => item.price.currency)).size > 1)
    throw invalid('All prices on a subscription must have the same currency.', 'items')
  sameCadence(
    account,
    items.map((item) => item.price),
  )
  const currency = items[0]!.price.currency
  if (params.currency !== undefined && str(params.currency, 'currency').toLowerCase() !== currency)
    throw invalid('The currency must match the currency of the prices.', 'currency')
  const paymentBehavior =
    params.payment_behavior === undefined
      ? 'allow_incomplete'
      : oneOf(params.payment_behavior, 'payment_behavior', [
          'allow_incomplete',
          'default_incomplete',
          'error_if_incomplete',
          'pending_if_incomplete',
        ] as const)
  // pending_if_incomplete exists only on updates (SB-28).
  if (paymentBehavior === 'pending_if_incomplete')
    throw invalid(
      'payment_behavior=pending_if_incomplete can only be used when updating a subscription.',
      'payment_behavior',
    )
  if (params.billing_mode !== undefined) {
    const mode = checkNested(params.billing_mode, 'billing_mode', ['flexible', 'type'], ['type'], endpoint)
    oneOf(required(mode, 'type'), 'billing_mode[type]', ['classic', 'flexible'] as const)
  }
  // Flexible by default from clover (2025-09-30) on; older request versions default to classic (SB-26).
  const defaultMode = ctx.apiVersion !== null && ctx.apiVersion < '2025-09-30' ? 'classic' : 'flexible'
  const billingMode =
    params.billing_mode === undefined ? defaultMode : ((params.billing_mode as Raw).type as 'classic' | 'flexible')
  const collection = collectionSettings(params, {collectionMethod: 'charge_automatically', daysUntilDue: null})
  const sendInvoice = collection.collectionMethod === 'send_invoice'

  // Trials (SB-48): trial_end (a time or `now`) or trial_period_days; `now` means no trial.
  if (params.trial_end !== undefined && params.trial_period_days !== undefined)
    throw invalid('You may only specify one of these parameters: trial_end, trial_period_days.', 'trial_end')
  if (
    params.trial_from_plan !== undefined &&
    bool(params.trial_from_plan, 'trial_from_plan') &&
    params.trial_end !== undefined
  )
    throw invalid('trial_from_plan cannot be combined with trial_end.', 'trial_from_plan')
  let trialEnd: number | null = null
  if (params.trial_end !== undefined) {
    const end = trialEndParam(params.trial_end, now)
    trialEnd = end === 'now' ? null : end
  }
  if (params.trial_period_days !== undefined) {
    const days = int(params.trial_period_days, 'trial_period_days')
    if (days > MAX_TRIAL_DAYS) throw invalid(`trial_period_days can be at most ${MAX_TRIAL_DAYS}.`, 'trial_period_days')
    trialEnd = days > 0 ? now + days * DAY : null
  }
  let missingPaymentMethod: SubscriptionRecord['missingPaymentMethod'] = 'create_invoice'
  if (params.trial_settings !== undefined) {
    const settings = checkNested(params.trial_settings, 'trial_settings', ['end_behavior'], ['end_behavior'], endpoint)
    const behaviour = checkNested(
      required(settings, 'end_behavior'),
      'trial_settings[end_behavior]',
      ['billing_cycle_anchor', 'missing_payment_method'],
      ['billing_cycle_anchor', 'missing_payment_method'],
      endpoint,
    )
    if (behaviour.billing_cycle_anchor !== undefined && behaviour.billing_cycle_anchor !== 'now')
      throw notModelled('trial_settings[end_behavior][billing_cycle_anchor]=unchanged (SB-53)')
    if (behaviour.missing_payment_method !== undefined) {
      missingPaymentMethod = oneOf(
        behaviour.missing_payment_method,
        'trial_settings[end_behavior][missing_payment_method]',
        ['cancel', 'pause', 'create_invoice'] as const,
      )
    }
  }
  const defaultPm = optStr(params.default_payment_method, 'default_payment_method')
  const defaultPaymentMethod = defaultPm
    ? customerPaymentMethod(account, customer, defaultPm, 'default_payment_method')
    : null
  // Without a card a trial still starts: at its end it cancels, pauses or invoices (SB-50, SB-K5).
  const card = payingMethod(account, defaultPaymentMethod, customer.id)
  // How a trial treats usage is not modelled (SB-U11).
  if (trialEnd !== null && items.some((item) => isMetered(item.price)))
    throw notModelled('trials on a subscription with metered prices (SB-U11)')
  const ownDiscounts = params.discounts !== undefined && params.discounts !== ''
  const discounts = ownDiscounts ? requestedDiscounts(account, params.discounts, customer, endpoint, now, currency) : []
  // Without discounts of its own a subscription inherits the customer's discount (SB-T4).
  const inherited = ownDiscounts ? undefined : inheritedDiscount(account, customer, currency)
  const applying = inherited ? [inherited.applied] : discounts
  const defaultTaxRates =
    params.default_tax_rates === undefined || params.default_tax_rates === ''
      ? []
      : taxRatesParam(account, params.default_tax_rates, 'default_tax_rates')
  if (applying.length > 0 && hasInclusiveRate(account, [defaultTaxRates, ...items.map((item) => item.taxRates)]))
    throw notModelled(
      'discounts on a subscription with an inclusive tax rate (how the contained tax is rounded after a discount, SB-78)',
    )

  assertDiscountsModelled(billingMode, applying)
  const itemsTotal = periodAmount(
    account,
    items.map((item) => ({price: item.price.id, quantity: item.quantity})),
  )
  const discountsCoverAll = applying.some(
    ({coupon}) => coupon.percentOff === 100 || (coupon.amountOff ?? 0) >= itemsTotal,
  )
  const chargeDue = trialEnd === null && itemsTotal > 0 && !discountsCoverAll
  // error_if_incomplete: a first payment that would fail is a 402, and nothing is created (SB-28).
  if (chargeDue && !sendInvoice && paymentBehavior === 'error_if_incomplete' && card?.behaviour !== 'succeeds')
    throw new ApiError(402, 'card_error', 'Your card was declined.', 'card_declined')
  const recurring = items[0]!.price.recurring
  const periodEnd = trialEnd ?? periodEndAfter(now, recurring, 1)
  const cancelAtPeriodEnd =
    params.cancel_at_period_end !== undefined && bool(params.cancel_at_period_end, 'cancel_at_period_end')
  const proration =
    params.proration_behavior === undefined
      ? 'create_prorations'
      : oneOf(params.proration_behavior, 'proration_behavior', ['create_prorations', 'always_invoice', 'none'] as const)
  const cancelAt =
    params.cancel_at === undefined ? undefined : resolveCancelAt({periodEnd}, params.cancel_at, now, proration)
  // Everything is validated: from here on the request changes the account.
  claimCurrency(
    account,
    customer,
    currency,
    subscriptionsOf(account, customer.id).some((other) => LIVE.has(other.status)),
  )
  const sub: SubscriptionRecord = {
    id: account.newId('sub_'),
    created: now,
    customer: customer.id,
    currency,
    items: items.map((item) => ({
      id: account.newId('si_', 14),
      created: now,
      price: item.price.id,
      quantity: item.quantity,
      metadata: item.metadata,
      taxRates: item.taxRates,
    })),
    status: trialEnd !== null ? 'trialing' : 'active',
    pausedReason: null,
    billingMode,
    ...collection,
    startDate: now,
    // With a trial the anchor is the trial end (SB-49).
    billingCycleAnchor: periodEnd === trialEnd ? trialEnd : now,
    cycles: 0,
    periodStart: now,
    periodEnd,
    trialStart: trialEnd !== null ? now : null,
    trialEnd,
    trialWillEndSent: false,
    missingPaymentMethod,
    cancelAt: null,
    cancelAtPeriodEnd: false,
    canceledAt: null,
    endedAt: null,
    cancellation: {comment: null, feedback: null, reason: null},
    pauseCollection: null,
    discounts: [],
    defaultTaxRates,
    defaultPaymentMethod,
    description: optStr(params.description, 'description') ?? null,
    metadata: mergeMetadata({}, params.metadata),
    latestInvoice: null,
    incompleteExpiresAt: null,
    lastDebit: {},
    testClock: customer.testClock,
    creating: true,
    seq: account.nextSeq(),
  }
  if (cancelAtPeriodEnd) scheduleCancel(account, sub, sub.periodEnd, true, now)
  if (cancelAt !== undefined) scheduleCancel(account, sub, cancelAt, false, now)
  account.store.of(SUBSCRIPTIONS).set(sub.id, sub)
  account.store.index(BY_CUSTOMER).add(customer.id, sub.id)
  for (const item of sub.items) account.store.index(BY_ITEM).add(item.id, sub.id)
  attachDiscounts(account, sub, discounts, now)
  if (inherited) sub.discounts = [inherited.discount.id]

  // The first invoice is finalized inside this request (SB-28); a trial's is for $0 (SB-49).
  const invoice = invoiceSubscription(
    account,
    sub,
    'subscription_create',
    now,
    fullPeriodLines(account, sub, trialEnd !== null, 'zero'),
  )
  if (sendInvoice) {
    // A send_invoice subscription is active whatever its first invoice does; the invoice is a draft for an hour, then sent (SB-28, SB-70).
  } else if (paymentBehavior === 'default_incomplete' && amountDue(invoice) > 0) {
    finalizeInvoice(account, invoice, now, {attempt: false})
  } else {
    billNow(account, invoice, now)
  }
  if (!sendInvoice && invoice.status !== 'paid') {
    // allow_incomplete and default_incomplete: incomplete until the first invoice is paid (SB-28, SB-29).
    sub.status = 'incomplete'
    sub.incompleteExpiresAt = now + INCOMPLETE_WINDOW
  }
  sub.creating = false
  account.emit('customer.subscription.created', () => renderSubscription(account, sub), sub.testClock)
  // trial_will_end fires at once for a trial of under three days (SB-51).
  if (sub.status === 'trialing' && sub.trialEnd !== null && sub.trialEnd - TRIAL_WILL_END_BEFORE <= now)
    trialWillEnd(account, sub)
  return renderSubscription(account, sub)
}

function scheduleCancel(
  account: Account,
  sub: SubscriptionRecord,
  at: number | null,
  atPeriodEnd: boolean,
  requestTime: number,
): void {
  // The final usage of a canceled metered subscription is billed; how is not modelled (SB-U11).
  if (at !== null && hasMeteredItem(account, sub.items))
    throw notModelled('scheduling the cancellation of a subscription with metered prices (SB-U11)')
  sub.cancelAt = at
  sub.cancelAtPeriodEnd = atPeriodEnd
  // canceled_at is the time of the request that scheduled it (SB-63).
  sub.canceledAt = at === null ? null : requestTime
}

/** `cancel_at`: a time, or min/max_period_end; before the period end it would prorate (SB-47), which is modelled only with proration_behavior=none. */
function resolveCancelAt(
  sub: Pick<SubscriptionRecord, 'periodEnd'>,
  value: unknown,
  now: number,
  proration: string,
): number | null {
  if (value === '') return null
  const at = value === 'min_period_end' || value === 'max_period_end' ? sub.periodEnd : int(value, 'cancel_at')
  if (at <= now) throw invalid('cancel_at must be in the future.', 'cancel_at')
  if (at !== sub.periodEnd && proration !== 'none')
    throw notModelled(
      'cancel_at at another time than the current period end with prorations (SB-47: the proration of a partial or future period is not modelled); pass proration_behavior=none',
    )
  return at
}

export function updateSubscription(ctx: RouteContext): ApiObject {
  const endpoint = 'POST /v1/subscriptions/{id}'
  const {account, params} = ctx
  checkParams(params, 'SubscriptionUpdateParams', UPDATE_HANDLED, endpoint)
  const sub = subscriptionOf(ctx)
  assertClockWritable(account, sub.testClock)
  checkBillingOptions(params, endpoint)
  const now = account.nowFor(sub.testClock)
  assertUpdatable(
    sub,
    Object.keys(params).filter((key) => key !== 'expand'),
  )
  const customer = account.store.of(CUSTOMERS).require(sub.customer)
  const proration =
    params.proration_behavior === undefined
      ? 'create_prorations'
      : oneOf(params.proration_behavior, 'proration_behavior', ['create_prorations', 'always_invoice', 'none'] as const)
  const prorationDate = params.proration_date === undefined ? now : int(params.proration_date, 'proration_date')
  if (prorationDate < sub.periodStart || prorationDate > sub.periodEnd)
    throw invalid('proration_date must be within the current billing period.', 'proration_date')
  if (params.billing_cycle_anchor !== undefined && params.billing_cycle_anchor !== 'unchanged')
    throw notModelled('billing_cycle_anchor=now on update')
  const paymentBehavior =
    params.payment_behavior === undefined
      ? 'allow_incomplete'
      : oneOf(params.payment_behavior, 'payment_behavior', [
          'allow_incomplete',
          'default_incomplete',
          'error_if_incomplete',
          'pending_if_incomplete',
        ] as const)
  if (paymentBehavior !== 'allow_incomplete' && params.items !== undefined)
    throw notModelled(`payment_behavior=${paymentBehavior} on an item change`)
  const changes = parseItemChanges(ctx, sub, endpoint)
  const next = changes.length > 0 ? itemsAfter(account, sub, changes, now) : sub.items
  const itemsChanged = !sameBilling(next, sub.items)
  const requested =
    params.discounts === undefined
      ? undefined
      : params.discounts === ''
        ? []
        : requestedDiscounts(account, params.discounts, customer, endpoint, now, sub.currency)
  if (requested) assertDiscountsModelled(sub.billingMode, requested)
  if (requested !== undefined && (requested.length > 0 || params.discounts === '')) assertOwnDiscounts(account, sub)
  if (
    requested &&
    requested.length > 0 &&
    hasInclusiveRate(account, [sub.defaultTaxRates, ...sub.items.map((item) => item.taxRates)])
  )
    throw notModelled(
      'discounts on a subscription with an inclusive tax rate (how the contained tax is rounded after a discount, SB-78)',
    )
  const defaultPm =
    params.default_payment_method === undefined
      ? undefined
      : optStr(params.default_payment_method, 'default_payment_method')
  const defaultPaymentMethod = defaultPm
    ? customerPaymentMethod(account, customer, defaultPm, 'default_payment_method')
    : defaultPm
  const trialEnd = params.trial_end === undefined ? undefined : trialEndParam(params.trial_end, now)
  if (trialEnd !== undefined && sub.status !== 'trialing')
    throw notModelled('starting a trial on a subscription that is not trialing')
  if (trialEnd !== undefined && itemsChanged) throw notModelled('changing items and trial_end in one request')
  const cancelAtPeriodEnd =
    params.cancel_at_period_end === undefined ? undefined : bool(params.cancel_at_period_end, 'cancel_at_period_end')
  if (cancelAtPeriodEnd && params.cancel_at !== undefined && params.cancel_at !== '')
    throw invalid('You may only specify one of these parameters: cancel_at, cancel_at_period_end.', 'cancel_at')
  if (
    cancelAtPeriodEnd &&
    pendingItems(account, sub.customer, sub.currency, sub.id).some(
      (item) => item.subscription === sub.id && item.proration,
    )
  ) {
    throw notModelled(
      'cancel_at_period_end with pending prorations (SB-62: they would be collected at period end, on an invoice Stripe does not describe)',
    )
  }
  let pause: SubscriptionRecord['pauseCollection'] | undefined
  if (params.pause_collection !== undefined) {
    if (params.pause_collection === '') pause = null
    else {
      const p = checkNested(
        params.pause_collection,
        'pause_collection',
        ['behavior', 'resumes_at'],
        ['behavior', 'resumes_at'],
        endpoint,
      )
      const resumesAt = p.resumes_at === undefined ? null : int(p.resumes_at, 'pause_collection[resumes_at]')
      if (resumesAt !== null && resumesAt <= now)
        throw invalid('pause_collection[resumes_at] must be in the future.', 'pause_collection[resumes_at]')
      pause = {
        behavior: oneOf(required(p, 'behavior'), 'pause_collection[behavior]', [
          'keep_as_draft',
          'mark_uncollectible',
          'void',
        ] as const),
        resumesAt,
      }
    }
  }
  const details =
    params.cancellation_details === undefined ? undefined : cancellationDetails(params.cancellation_details, endpoint)
  const cancelAt = params.cancel_at === undefined ? undefined : resolveCancelAt(sub, params.cancel_at, now, proration)
  const collection = collectionSettings(params, sub)

  // Everything is validated: now change, in an order where a refusal leaves nothing half done.
  let invoice: InvoiceRecord | undefined
  if (itemsChanged) invoice = changeItems(account, sub, next, proration, prorationDate, now)
  else if (next !== sub.items) changing(account, sub, () => (sub.items = next)) // item metadata only
  if (requested !== undefined && (requested.length > 0 || params.discounts === '')) {
    // A populated array replaces the discounts, `''` clears them, an empty array leaves them (SB-56).
    changing(account, sub, () => {
      removeDiscounts(account, sub, () => true)
      attachDiscounts(account, sub, requested, now)
    })
  }
  if (trialEnd === 'now') {
    // Ending a trial early: trial_will_end at once, then the first paid period starts and is billed now (SB-51, SB-52).
    if (!sub.trialWillEndSent) trialWillEnd(account, sub)
    const card = payingMethod(
      account,
      defaultPaymentMethod === undefined ? sub.defaultPaymentMethod : defaultPaymentMethod,
      sub.customer,
    )
    if (!card && sub.missingPaymentMethod !== 'create_invoice') {
      // Ended early without a payment method, it cancels or pauses as at its own end (SB-50, SB-T3).
      changing(account, sub, () => (sub.trialEnd = now))
      endTrial(account, sub, now)
    } else {
      changing(account, sub, () => {
        sub.status = 'active'
        sub.trialEnd = now
      })
      invoice = restartPeriod(account, sub, now, 'subscription_update')
    }
  } else if (trialEnd !== undefined) {
    // On update the anchor becomes trial_end (SB-52); under three days left fires trial_will_end now (SB-51).
    changing(account, sub, () => {
      sub.trialEnd = trialEnd
      sub.periodEnd = trialEnd
      sub.billingCycleAnchor = trialEnd
    })
    if (!sub.trialWillEndSent && trialEnd - TRIAL_WILL_END_BEFORE <= now) trialWillEnd(account, sub)
  }
  changing(account, sub, () => {
    if (defaultPaymentMethod !== undefined) sub.defaultPaymentMethod = defaultPaymentMethod
    if (cancelAtPeriodEnd !== undefined)
      scheduleCancel(account, sub, cancelAtPeriodEnd ? sub.periodEnd : null, cancelAtPeriodEnd, now)
    if (cancelAt !== undefined) scheduleCancel(account, sub, cancelAt, false, now)
    if (details) sub.cancellation = {...sub.cancellation, ...details}
    if (pause !== undefined) sub.pauseCollection = pause
    if (params.description !== undefined) sub.description = optStr(params.description, 'description') ?? null
    sub.collectionMethod = collection.collectionMethod
    sub.daysUntilDue = collection.daysUntilDue
    sub.metadata = mergeMetadata(sub.metadata, params.metadata)
  })
  if (invoice) billNow(account, invoice, now)
  return renderSubscription(account, sub)
}

// ── pause and resume ───────────────────────────────────────────────────────

/**
 * Endive's pause endpoint (SB-66): the subscription becomes `paused` (`pause_requested`) and the
 * unused time is credited, from now by default, as pending items or on an invoice at once.
 */
function pauseSubscription(ctx: RouteContext): ApiObject {
  const endpoint = 'POST /v1/subscriptions/{id}/pause'
  const {account, params} = ctx
  checkParams(params, 'SubscriptionPauseParams', [...COMMON, 'bill_for', 'invoicing_behavior', 'type'], endpoint)
  const sub = subscriptionOf(ctx)
  assertClockWritable(account, sub.testClock)
  if (params.type !== undefined) oneOf(params.type, 'type', ['subscription'] as const)
  const invoicing =
    params.invoicing_behavior === undefined
      ? 'pending_invoice_item'
      : oneOf(params.invoicing_behavior, 'invoicing_behavior', ['invoice', 'pending_invoice_item'] as const)
  let creditFrom: 'now' | 'none' | 'item_current_period_start' = 'now'
  if (params.bill_for !== undefined) {
    const billFor = checkNested(
      params.bill_for,
      'bill_for',
      ['outstanding_usage_through', 'unused_time_from'],
      ['outstanding_usage_through', 'unused_time_from'],
      endpoint,
    )
    if (billFor.unused_time_from !== undefined) {
      const from = checkNested(billFor.unused_time_from, 'bill_for[unused_time_from]', ['type'], ['type'], endpoint)
      creditFrom = oneOf(required(from, 'type'), 'bill_for[unused_time_from][type]', [
        'now',
        'none',
        'item_current_period_start',
      ] as const)
    }
  }
  if (sub.status !== 'active' && sub.status !== 'past_due') throw notModelled(`pausing a ${sub.status} subscription`)
  const now = account.nowFor(sub.testClock)
  if (creditFrom !== 'none') creditUnusedTime(account, sub, creditFrom === 'now' ? now : sub.periodStart, sub.items)
  let invoice: InvoiceRecord | undefined
  changing(account, sub, () => {
    sub.status = 'paused'
    sub.pausedReason = 'pause_requested'
    sub.pausedAt = now
    if (invoicing === 'invoice') invoice = invoiceSubscription(account, sub, 'subscription_update', now, [])
  })
  account.emit('customer.subscription.paused', () => renderSubscription(account, sub), sub.testClock)
  if (invoice) billNow(account, invoice, now)
  return renderSubscription(account, sub)
}

/**
 * Resuming (SB-66): with the default `billing_cycle_anchor=now` a new period starts and its
 * resumption invoice is finalized and charged at once; paid, the subscription is active again. What
 * follows a failed resumption payment is not modelled, nor `billing_cycle_anchor=unchanged`.
 */
function resumeSubscription(ctx: RouteContext): ApiObject {
  const endpoint = 'POST /v1/subscriptions/{id}/resume'
  const {account, params} = ctx
  checkParams(
    params,
    'SubscriptionResumeParams',
    [...COMMON, 'billing_cycle_anchor', 'payment_behavior', 'proration_behavior', 'proration_date'],
    endpoint,
  )
  const sub = subscriptionOf(ctx)
  assertClockWritable(account, sub.testClock)
  if (params.billing_cycle_anchor !== undefined) {
    const anchor = checkNested(params.billing_cycle_anchor, 'billing_cycle_anchor', ['type'], ['type'], endpoint)
    if (oneOf(required(anchor, 'type'), 'billing_cycle_anchor[type]', ['now', 'unchanged'] as const) === 'unchanged')
      throw notModelled('resuming with billing_cycle_anchor=unchanged (its prorations)')
  }
  if (params.payment_behavior !== undefined)
    oneOf(params.payment_behavior, 'payment_behavior', [
      'resume_on_payment_attempt',
      'resume_on_payment_success',
    ] as const)
  if (sub.status !== 'paused') throw invalid(`Only a paused subscription can be resumed; this one is ${sub.status}.`)
  if (sub.collectionMethod !== 'charge_automatically')
    throw invalid('Only subscriptions with collection_method=charge_automatically can be resumed.')
  const card = payingMethod(account, sub.defaultPaymentMethod, sub.customer)
  if (periodAmount(account, sub.items) > 0 && card?.behaviour !== 'succeeds')
    throw notModelled('a resumption whose payment fails or has no card to charge')
  const now = account.nowFor(sub.testClock)
  let invoice: InvoiceRecord | undefined
  changing(account, sub, () => {
    sub.status = 'active'
    sub.pausedReason = null
    invoice = startPeriodAt(account, sub, now, 'subscription_update')
  })
  if (invoice) billNow(account, invoice, now)
  account.emit('customer.subscription.resumed', () => renderSubscription(account, sub), sub.testClock)
  return renderSubscription(account, sub)
}

// ── the resource ───────────────────────────────────────────────────────────

export const subscriptions: Resource = {
  object: 'subscription',
  idPrefixes: ['sub_'],
  render: (account, id) => {
    const sub = account.store.of(SUBSCRIPTIONS).get(id)
    return sub && renderSubscription(account, sub)
  },
  documentedParams: {
    file: 'Subscriptions.d.ts',
    interfaces: [
      'SubscriptionCreateParams',
      'SubscriptionUpdateParams',
      'SubscriptionListParams',
      'SubscriptionRetrieveParams',
      'SubscriptionCancelParams',
      'SubscriptionDeleteDiscountParams',
      'SubscriptionPauseParams',
      'SubscriptionResumeParams',
    ],
  },
  due: dueEvents,
  advanceLimit: shortestLiveInterval,
  on: {
    invoiceFinalizing: (account, {invoice}) => refreshUsageLines(account, invoice),
    invoicePaid: (account, {invoice, at}) => subscriptionInvoicePaid(account, invoice, at),
    invoicePaymentFailed: (account, {invoice}) => subscriptionInvoiceFailed(account, invoice),
    invoiceOverdue: (account, {invoice}) => subscriptionInvoiceOverdue(account, invoice),
    invoiceRetriesExhausted: (account, {invoice, at}) => subscriptionRetriesExhausted(account, invoice, at),
    customerDeleted: (account, {customerId}) => endSubscriptionsOfDeletedCustomer(account, customerId),
  },
  onClockDeleted: (account, clockId) => {
    for (const customer of customersOnClock(account, clockId)) {
      for (const sub of subscriptionsOf(account, customer.id)) {
        for (const id of sub.discounts) account.store.of(DISCOUNTS).delete(id)
        for (const item of sub.items) account.store.index(BY_ITEM).drop(item.id)
        account.store.of(SUBSCRIPTIONS).delete(sub.id)
      }
      account.store.index(BY_CUSTOMER).drop(customer.id)
    }
  },
  routes: [
    route('POST', '/v1/subscriptions', createSubscription),
    route('GET', '/v1/subscriptions/:id', (ctx) => {
      checkParams(ctx.params, 'SubscriptionRetrieveParams', COMMON, 'GET /v1/subscriptions/{id}')
      return renderSubscription(ctx.account, subscriptionOf(ctx))
    }),
    route('POST', '/v1/subscriptions/:id', updateSubscription),
    route('DELETE', '/v1/subscriptions/:id', (ctx) => {
      // subscriptions.cancel ends it now (SB-62).
      const endpoint = 'DELETE /v1/subscriptions/{id}'
      checkParams(
        ctx.params,
        'SubscriptionCancelParams',
        [...COMMON, 'cancellation_details', 'invoice_now', 'prorate'],
        endpoint,
      )
      const {account, params} = ctx
      const sub = subscriptionOf(ctx)
      assertClockWritable(account, sub.testClock)
      if (!LIVE.has(sub.status))
        throw new ApiError(404, 'invalid_request_error', `No such subscription: '${sub.id}'`, 'resource_missing', 'id')
      const details =
        params.cancellation_details === undefined ? {} : cancellationDetails(params.cancellation_details, endpoint)
      sub.cancellation = {...sub.cancellation, ...details}
      cancelNow(account, sub, account.nowFor(sub.testClock), {
        prorate: params.prorate !== undefined && bool(params.prorate, 'prorate'),
        invoiceNow: params.invoice_now !== undefined && bool(params.invoice_now, 'invoice_now'),
      })
      return renderSubscription(account, sub)
    }),
    route('DELETE', '/v1/subscriptions/:id/discount', (ctx) => {
      checkParams(ctx.params, 'SubscriptionDeleteDiscountParams', [], 'DELETE /v1/subscriptions/{id}/discount')
      const {account} = ctx
      const sub = subscriptionOf(ctx)
      assertClockWritable(account, sub.testClock)
      assertOwnDiscounts(account, sub)
      const first = sub.discounts[0]
      const discount = first ? account.store.of(DISCOUNTS).get(first) : undefined
      if (!discount)
        throw new ApiError(
          404,
          'invalid_request_error',
          `No active discount for subscription: '${sub.id}'`,
          'resource_missing',
          'id',
        )
      changing(account, sub, () => removeDiscounts(account, sub, () => true))
      const {end: _end, ...shape} = renderDiscount(discount) // a deleted discount has no end (fixtures3)
      return {...shape, deleted: true}
    }),
    route('POST', '/v1/subscriptions/:id/pause', pauseSubscription),
    route('POST', '/v1/subscriptions/:id/resume', resumeSubscription),
    route('GET', '/v1/subscriptions', (ctx) => {
      checkParams(
        ctx.params,
        'SubscriptionListParams',
        [...COMMON, 'customer', 'price', 'plan', 'status', 'test_clock', 'collection_method', ...PAGINATION],
        'GET /v1/subscriptions',
      )
      const {account, params: p} = ctx
      const statuses = [
        'active',
        'all',
        'canceled',
        'ended',
        'incomplete',
        'incomplete_expired',
        'past_due',
        'paused',
        'trialing',
        'unpaid',
      ] as const
      const status = p.status === undefined ? undefined : oneOf(p.status, 'status', statuses)
      const clock = p.test_clock === undefined ? null : str(p.test_clock, 'test_clock')
      const price = p.price ?? p.plan
      const collection =
        p.collection_method === undefined
          ? undefined
          : oneOf(p.collection_method, 'collection_method', ['charge_automatically', 'send_invoice'] as const)
      const candidates = clock
        ? customersOnClock(account, clock).flatMap((c) => subscriptionsOf(account, c.id))
        : typeof p.customer === 'string'
          ? subscriptionsOf(account, p.customer)
          : account.store.of(SUBSCRIPTIONS).values()
      const ended = (sub: SubscriptionRecord) => sub.status === 'canceled' || sub.status === 'incomplete_expired'
      return list(
        ctx,
        filter(
          candidates,
          (sub) =>
            // Listing trap: subscriptions on a test clock are left out unless test_clock or customer is given (SB-16).
            (clock !== null ? sub.testClock === clock : p.customer !== undefined || sub.testClock === null) &&
            (p.customer === undefined || sub.customer === p.customer) &&
            (collection === undefined || sub.collectionMethod === collection) &&
            (price === undefined || sub.items.some((item) => item.price === price)) &&
            // By default Stripe lists every subscription that has not been canceled; `ended` means canceled or incomplete_expired.
            (status === undefined
              ? sub.status !== 'canceled'
              : status === 'all' || (status === 'ended' ? ended(sub) : sub.status === status)),
        ),
        (sub) => renderSubscription(account, sub),
      )
    }),
  ],
}
