import {DAY, HOUR, type Interval, addIntervals} from '../billing-time.js'

/**
 * The emulator's account state and billing rules. Every rule cites ../shared/reference/stripe-facts.md.
 * Records are internal; `render.ts` turns them into Stripe's object shapes.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: 'invalid_request_error' | 'api_error' | 'card_error' | 'idempotency_error' | 'authentication_error',
    message: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message)
  }
}

/** Stripe behaviour this emulator does not model: refuse loudly rather than invent it. */
export function notModelled(what: string): ApiError {
  return new ApiError(501, 'api_error', `The stripe-seed emulator does not model ${what}; it refuses instead of guessing Stripe's behaviour.`, 'emulator_not_modelled')
}

export type Metadata = Record<string, string>

export interface ClockRecord {
  id: string
  created: number
  name: string | null
  frozenTime: number
  status: 'ready' | 'advancing' | 'internal_failure'
  targetFrozenTime?: number
  /** Wall-clock ms when the running advance completes. */
  readyAt?: number
  failNextAdvance: boolean
  seq: number
}

export interface CustomerRecord {
  id: string
  created: number
  email: string | null
  name: string | null
  description: string | null
  phone: string | null
  metadata: Metadata
  testClock: string | null
  defaultPaymentMethod: string | null
  seq: number
}

export type CardBehaviour = 'succeeds' | 'charge_fails'

export interface PaymentMethodRecord {
  id: string
  created: number
  customer: string | null
  brand: string
  last4: string
  behaviour: CardBehaviour
  metadata: Metadata
  seq: number
}

export interface ProductRecord {
  id: string
  created: number
  updated: number
  name: string
  description: string | null
  active: boolean
  metadata: Metadata
  unitLabel: string | null
  defaultPrice: string | null
  seq: number
}

export interface PriceRecord {
  id: string
  created: number
  product: string
  currency: string
  unitAmount: number
  recurring: {interval: Interval; intervalCount: number} | null
  lookupKey: string | null
  active: boolean
  nickname: string | null
  metadata: Metadata
  seq: number
}

export interface SubscriptionItemRecord {
  id: string
  created: number
  price: string
  quantity: number
  metadata: Metadata
}

export type SubscriptionStatus = 'active' | 'past_due' | 'canceled' | 'unpaid'

export interface SubscriptionRecord {
  id: string
  created: number
  customer: string
  currency: string
  items: SubscriptionItemRecord[]
  status: SubscriptionStatus
  startDate: number
  billingCycleAnchor: number
  /** Periods elapsed since the anchor: the current period is [anchor + n, anchor + n + 1) intervals. */
  periodIndex: number
  cancelAtPeriodEnd: boolean
  canceledAt: number | null
  endedAt: number | null
  cancellationReason: 'cancellation_requested' | 'payment_failed' | null
  defaultPaymentMethod: string | null
  description: string | null
  metadata: Metadata
  latestInvoice: string | null
  testClock: string | null
  seq: number
}

export interface InvoiceLine {
  id: string
  price: string
  quantity: number
  amount: number
  subscriptionItem: string
  periodStart: number
  periodEnd: number
}

export interface InvoiceRecord {
  id: string
  created: number
  customer: string
  subscription: string
  currency: string
  billingReason: 'subscription_create' | 'subscription_cycle' | 'subscription_update'
  status: 'draft' | 'open' | 'paid'
  lines: InvoiceLine[]
  periodStart: number
  periodEnd: number
  amountDue: number
  amountPaid: number
  attemptCount: number
  /** When a draft is finalized and first charged (stripe-facts #31). */
  finalizesAt: number | null
  finalizedAt: number | null
  paidAt: number | null
  firstFailureAt: number | null
  nextPaymentAttempt: number | null
  testClock: string | null
  number: string | null
  seq: number
}

export interface EngineOptions {
  /** Days after the first failed charge at which Smart Retries try again (stripe-facts #32). */
  retryScheduleDays: number[]
  random: () => number
  wallNow: () => number
}

/** A Smart-Retries-like schedule: 8 tries in all (the first plus 7 retries) within two weeks (#32). */
export const DEFAULT_RETRY_SCHEDULE_DAYS = [1, 3, 5, 7, 9, 11, 14]

const DRAFT_PERIOD = HOUR // renewal invoices stay draft for about an hour (#31)
const MAX_CUSTOMERS_PER_CLOCK = 3 // (#4)
const ID_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

export class Engine {
  readonly clocks = new Map<string, ClockRecord>()
  readonly customers = new Map<string, CustomerRecord>()
  readonly paymentMethods = new Map<string, PaymentMethodRecord>()
  readonly products = new Map<string, ProductRecord>()
  readonly prices = new Map<string, PriceRecord>()
  readonly subscriptions = new Map<string, SubscriptionRecord>()
  readonly invoices = new Map<string, InvoiceRecord>()
  /** Clocks with an advance under way: the only ones a request has to look at. */
  readonly advancing = new Set<string>()
  /** Subscriptions per customer, invoices per subscription: clock processing never scans the account. */
  private readonly subscriptionsByCustomer = new Map<string, Set<string>>()
  private readonly customersByClock = new Map<string, Set<string>>()
  private readonly openInvoicesBySubscription = new Map<string, Set<string>>()
  private readonly invoicesByClock = new Map<string, Set<string>>()
  private readonly paymentMethodsByCustomer = new Map<string, Set<string>>()
  private seq = 0
  private invoiceNumber = 0

  constructor(readonly options: EngineOptions) {}

  newId(prefix: string, length = 24): string {
    let id = prefix
    for (let i = 0; i < length; i++) id += ID_CHARS[Math.floor(this.options.random() * ID_CHARS.length)]
    return id
  }

  nextSeq(): number {
    return ++this.seq
  }

  wallSeconds(): number {
    return Math.floor(this.options.wallNow() / 1000)
  }

  /** "Now" for an object: its test clock's frozen time, else the real time. */
  nowFor(testClock: string | null): number {
    if (!testClock) return this.wallSeconds()
    return this.clocks.get(testClock)?.frozenTime ?? this.wallSeconds()
  }

  // ── lookups ──────────────────────────────────────────────────────────────

  get<T>(map: Map<string, T>, id: string, what: string, param = 'id'): T {
    const found = map.get(id)
    if (!found) throw new ApiError(404, 'invalid_request_error', `No such ${what}: '${id}'`, 'resource_missing', param)
    return found
  }

  customersOnClock(clockId: string): CustomerRecord[] {
    return [...(this.customersByClock.get(clockId) ?? [])].map((id) => this.customers.get(id)).filter((c): c is CustomerRecord => c !== undefined)
  }

  subscriptionsOfCustomer(customerId: string): SubscriptionRecord[] {
    return [...(this.subscriptionsByCustomer.get(customerId) ?? [])].map((id) => this.subscriptions.get(id)).filter((s): s is SubscriptionRecord => s !== undefined)
  }

  subscriptionsOnClock(clockId: string): SubscriptionRecord[] {
    return this.customersOnClock(clockId).flatMap((customer) => this.subscriptionsOfCustomer(customer.id))
  }

  /** Writes to a clock's objects are refused while it advances (#5). */
  assertClockWritable(testClock: string | null): void {
    if (!testClock) return
    const clock = this.clocks.get(testClock)
    if (clock?.status === 'advancing') {
      throw new ApiError(400, 'invalid_request_error', `Test clock advancement underway: objects on test clock ${testClock} cannot be modified until it is ready.`)
    }
    if (clock?.status === 'internal_failure') {
      throw new ApiError(400, 'invalid_request_error', `Test clock ${testClock} is in internal_failure and can no longer be used.`)
    }
  }

  // ── customers and payment methods ────────────────────────────────────────

  addCustomer(record: Omit<CustomerRecord, 'id' | 'seq' | 'created'>): CustomerRecord {
    if (record.testClock) {
      const clock = this.get(this.clocks, record.testClock, 'test clock', 'test_clock')
      this.assertClockWritable(clock.id)
      const onClock = this.customersByClock.get(clock.id)?.size ?? 0
      if (onClock >= MAX_CUSTOMERS_PER_CLOCK) {
        throw new ApiError(400, 'invalid_request_error', `Test clock ${clock.id} already has the maximum of ${MAX_CUSTOMERS_PER_CLOCK} customers.`, undefined, 'test_clock')
      }
    }
    const customer: CustomerRecord = {...record, id: this.newId('cus_', 14), created: this.nowFor(record.testClock), seq: this.nextSeq()}
    this.customers.set(customer.id, customer)
    if (customer.testClock) addToIndex(this.customersByClock, customer.testClock, customer.id)
    return customer
  }

  /** Test tokens (#23–#25): `pm_card_*` names make a fresh payment method; raw card numbers are refused (#26). */
  createPaymentMethodFromToken(token: string, param: string): PaymentMethodRecord {
    const existing = this.paymentMethods.get(token)
    if (existing) return existing
    const card = TEST_TOKENS[token]
    if (!card) throw new ApiError(400, 'invalid_request_error', `No such PaymentMethod: '${token}'`, 'resource_missing', param)
    if (card.declinedAtAttach) {
      throw new ApiError(402, 'card_error', 'Your card was declined.', 'card_declined', param)
    }
    const pm: PaymentMethodRecord = {
      id: this.newId('pm_'),
      created: this.wallSeconds(),
      customer: null,
      brand: card.brand,
      last4: card.last4,
      behaviour: card.behaviour,
      metadata: {},
      seq: this.nextSeq(),
    }
    this.paymentMethods.set(pm.id, pm)
    return pm
  }

  attachPaymentMethod(pmIdOrToken: string, customerId: string, param = 'payment_method'): PaymentMethodRecord {
    const customer = this.get(this.customers, customerId, 'customer', 'customer')
    this.assertClockWritable(customer.testClock)
    const pm = this.createPaymentMethodFromToken(pmIdOrToken, param)
    if (pm.customer && pm.customer !== customer.id) {
      throw new ApiError(400, 'invalid_request_error', `The payment method you provided has already been attached to a customer.`, undefined, param)
    }
    pm.customer = customer.id
    addToIndex(this.paymentMethodsByCustomer, customer.id, pm.id)
    return pm
  }

  /** A default payment method must belong to the customer. */
  resolveCustomerPaymentMethod(customer: CustomerRecord, pmIdOrToken: string, param: string): string {
    const pm = this.paymentMethods.get(pmIdOrToken)
    if (pm?.customer === customer.id) return pm.id
    throw new ApiError(400, 'invalid_request_error', `The customer does not have a payment method with the ID ${pmIdOrToken}. The payment method must be attached to the customer.`, 'resource_missing', param)
  }

  // ── subscriptions ────────────────────────────────────────────────────────

  addSubscription(input: {customer: CustomerRecord; items: Array<{price: PriceRecord; quantity: number; metadata: Metadata}>; defaultPaymentMethod: string | null; metadata: Metadata; description: string | null; cancelAtPeriodEnd: boolean}): SubscriptionRecord {
    const now = this.nowFor(input.customer.testClock)
    const sub: SubscriptionRecord = {
      id: this.newId('sub_'),
      created: now,
      customer: input.customer.id,
      currency: input.items[0]?.price.currency ?? 'usd',
      items: input.items.map((item) => ({id: this.newId('si_', 14), created: now, price: item.price.id, quantity: item.quantity, metadata: item.metadata})),
      status: 'active',
      startDate: now,
      billingCycleAnchor: now,
      periodIndex: 0,
      cancelAtPeriodEnd: input.cancelAtPeriodEnd,
      canceledAt: null,
      endedAt: null,
      cancellationReason: null,
      defaultPaymentMethod: input.defaultPaymentMethod,
      description: input.description,
      metadata: input.metadata,
      latestInvoice: null,
      testClock: input.customer.testClock,
      seq: this.nextSeq(),
    }
    // The first invoice is charged at once; a failure would make the subscription `incomplete`,
    // which this emulator does not model, so it is refused before anything is stored.
    if (this.periodAmount(sub) > 0 && !this.chargeSucceeds(sub)) {
      throw notModelled('a first invoice whose payment fails (Stripe would create an `incomplete` subscription)')
    }
    this.subscriptions.set(sub.id, sub)
    addToIndex(this.subscriptionsByCustomer, sub.customer, sub.id)
    const invoice = this.createInvoice(sub, 'subscription_create', now)
    this.finalizeAndCharge(invoice, now)
    return sub
  }

  interval(sub: SubscriptionRecord): {interval: Interval; count: number} {
    const price = this.prices.get(sub.items[0]?.price ?? '')
    return {interval: price?.recurring?.interval ?? 'month', count: price?.recurring?.intervalCount ?? 1}
  }

  periodStart(sub: SubscriptionRecord): number {
    const {interval, count} = this.interval(sub)
    return addIntervals(sub.billingCycleAnchor, interval, count * sub.periodIndex)
  }

  periodEnd(sub: SubscriptionRecord): number {
    const {interval, count} = this.interval(sub)
    return addIntervals(sub.billingCycleAnchor, interval, count * (sub.periodIndex + 1))
  }

  periodAmount(sub: SubscriptionRecord): number {
    return sub.items.reduce((sum, item) => sum + (this.prices.get(item.price)?.unitAmount ?? 0) * item.quantity, 0)
  }

  /** Which card pays: the subscription's default, else the customer's invoice default (#27). */
  payingMethod(sub: SubscriptionRecord): PaymentMethodRecord | undefined {
    const customer = this.customers.get(sub.customer)
    const id = sub.defaultPaymentMethod ?? customer?.defaultPaymentMethod
    return id ? this.paymentMethods.get(id) : undefined
  }

  chargeSucceeds(sub: SubscriptionRecord): boolean {
    return this.payingMethod(sub)?.behaviour === 'succeeds'
  }

  /**
   * Applies a change of items. A change from a free price to a paid one charges at once and resets
   * the billing cycle anchor (#29); other changes take effect without an invoice when proration is
   * `none` (prorations themselves are not modelled).
   */
  changeItems(sub: SubscriptionRecord, apply: () => void, prorationBehavior: string | undefined, itemsChanged: boolean): void {
    const before = this.periodAmount(sub)
    const snapshot = sub.items.map((item) => ({...item}))
    try {
      apply()
    } catch (error) {
      sub.items = snapshot // a refused update changes nothing
      throw error
    }
    if (!itemsChanged) return
    const after = this.periodAmount(sub)
    const now = this.nowFor(sub.testClock)
    if (before === 0 && after > 0) {
      if (!this.chargeSucceeds(sub)) {
        sub.items = snapshot
        throw notModelled('a free-to-paid change whose immediate payment fails')
      }
      sub.billingCycleAnchor = now
      sub.periodIndex = 0
      const invoice = this.createInvoice(sub, 'subscription_update', now)
      this.finalizeAndCharge(invoice, now)
      return
    }
    if ((prorationBehavior ?? 'create_prorations') !== 'none') {
      sub.items = snapshot
      throw notModelled(`proration_behavior=${prorationBehavior ?? 'create_prorations (the default)'} on an item change; pass proration_behavior=none`)
    }
  }

  cancelSubscription(sub: SubscriptionRecord, at: number, reason: SubscriptionRecord['cancellationReason']): void {
    sub.status = 'canceled'
    sub.canceledAt = at
    sub.endedAt = at
    sub.cancellationReason = reason
    sub.cancelAtPeriodEnd = false
  }

  // ── invoices ─────────────────────────────────────────────────────────────

  createInvoice(sub: SubscriptionRecord, billingReason: InvoiceRecord['billingReason'], now: number): InvoiceRecord {
    const periodStart = this.periodStart(sub)
    const periodEnd = this.periodEnd(sub)
    const lines = sub.items.map((item) => {
      const price = this.prices.get(item.price)
      return {id: this.newId('il_'), price: item.price, quantity: item.quantity, amount: (price?.unitAmount ?? 0) * item.quantity, subscriptionItem: item.id, periodStart, periodEnd}
    })
    const amountDue = lines.reduce((sum, line) => sum + line.amount, 0)
    const invoice: InvoiceRecord = {
      id: this.newId('in_'),
      created: now,
      customer: sub.customer,
      subscription: sub.id,
      currency: sub.currency,
      billingReason,
      status: 'draft',
      lines,
      periodStart,
      periodEnd,
      amountDue,
      amountPaid: 0,
      attemptCount: 0,
      finalizesAt: now + DRAFT_PERIOD,
      finalizedAt: null,
      paidAt: null,
      firstFailureAt: null,
      nextPaymentAttempt: null,
      testClock: sub.testClock,
      number: null,
      seq: this.nextSeq(),
    }
    this.invoices.set(invoice.id, invoice)
    if (invoice.testClock) addToIndex(this.invoicesByClock, invoice.testClock, invoice.id)
    sub.latestInvoice = invoice.id
    return invoice
  }

  finalizeAndCharge(invoice: InvoiceRecord, now: number): void {
    invoice.status = 'open'
    invoice.finalizedAt = now
    invoice.finalizesAt = null
    invoice.number = `${invoice.customer.slice(4, 12).toUpperCase()}-${String(++this.invoiceNumber).padStart(4, '0')}`
    addToIndex(this.openInvoicesBySubscription, invoice.subscription, invoice.id)
    this.attemptPayment(invoice, now)
  }

  /** One charge attempt. Failure makes the subscription past_due and schedules retries (#32). */
  attemptPayment(invoice: InvoiceRecord, now: number): void {
    const sub = this.subscriptions.get(invoice.subscription)
    if (!sub) return
    if (invoice.amountDue > 0) invoice.attemptCount++
    if (invoice.amountDue === 0 || this.chargeSucceeds(sub)) {
      invoice.status = 'paid'
      invoice.amountPaid = invoice.amountDue
      invoice.paidAt = now
      invoice.nextPaymentAttempt = null
      this.openInvoicesBySubscription.get(sub.id)?.delete(invoice.id)
      if (sub.status === 'past_due' && (this.openInvoicesBySubscription.get(sub.id)?.size ?? 0) === 0) sub.status = 'active'
      return
    }
    invoice.firstFailureAt ??= now
    if (sub.status === 'active') sub.status = 'past_due'
    const retry = this.options.retryScheduleDays[invoice.attemptCount - 1]
    if (retry !== undefined) {
      invoice.nextPaymentAttempt = invoice.firstFailureAt + retry * DAY
      return
    }
    // Retries exhausted: the default account setting cancels the subscription (#32).
    invoice.nextPaymentAttempt = null
    if (sub.status !== 'canceled') this.cancelSubscription(sub, now, 'payment_failed')
  }

  // ── test clocks ──────────────────────────────────────────────────────────

  /** An advance may move at most two intervals of the shortest subscription on the clock; two years without any (#3). */
  maxAdvanceTarget(clock: ClockRecord): number {
    const live = this.subscriptionsOnClock(clock.id).filter((sub) => sub.status !== 'canceled')
    if (live.length === 0) return addIntervals(clock.frozenTime, 'year', 2)
    return Math.min(...live.map((sub) => {
      const {interval, count} = this.interval(sub)
      return addIntervals(clock.frozenTime, interval, 2 * count)
    }))
  }

  /** Moves a clock's objects through time: renewals, finalizations, charges and retries in time order. */
  runClockTo(clock: ClockRecord, target: number): void {
    for (;;) {
      const next = this.nextBillingEvent(clock.id, target)
      if (!next) break
      clock.frozenTime = next.at
      next.run()
    }
    clock.frozenTime = target
  }

  private nextBillingEvent(clockId: string, target: number): {at: number; run: () => void} | undefined {
    let best: {at: number; seq: number; run: () => void} | undefined
    const consider = (at: number | null, seq: number, run: () => void) => {
      if (at === null || at > target) return
      if (!best || at < best.at || (at === best.at && seq < best.seq)) best = {at, seq, run}
    }
    for (const sub of this.subscriptionsOnClock(clockId)) {
      if (sub.status === 'canceled') continue
      const end = this.periodEnd(sub)
      consider(end, sub.seq, () => this.renew(sub, end))
      for (const invoiceId of this.openInvoicesBySubscription.get(sub.id) ?? []) {
        const invoice = this.invoices.get(invoiceId)
        if (invoice) consider(invoice.nextPaymentAttempt, invoice.seq, () => this.attemptPayment(invoice, invoice.nextPaymentAttempt ?? end))
      }
      const latest = sub.latestInvoice ? this.invoices.get(sub.latestInvoice) : undefined
      if (latest?.status === 'draft') consider(latest.finalizesAt, latest.seq, () => this.finalizeAndCharge(latest, latest.finalizesAt ?? end))
    }
    return best
  }

  private renew(sub: SubscriptionRecord, at: number): void {
    if (sub.cancelAtPeriodEnd) {
      this.cancelSubscription(sub, at, 'cancellation_requested')
      return
    }
    sub.periodIndex++
    this.createInvoice(sub, 'subscription_cycle', at)
  }

  deleteClock(clock: ClockRecord): void {
    // Deleting a clock deletes its customers and their subscriptions (#7).
    for (const customer of this.customersOnClock(clock.id)) {
      for (const sub of this.subscriptionsOfCustomer(customer.id)) {
        this.subscriptions.delete(sub.id)
        this.openInvoicesBySubscription.delete(sub.id)
      }
      this.subscriptionsByCustomer.delete(customer.id)
      for (const id of this.paymentMethodsByCustomer.get(customer.id) ?? []) this.paymentMethods.delete(id)
      this.paymentMethodsByCustomer.delete(customer.id)
      this.customers.delete(customer.id)
    }
    for (const id of this.invoicesByClock.get(clock.id) ?? []) this.invoices.delete(id)
    this.invoicesByClock.delete(clock.id)
    this.customersByClock.delete(clock.id)
    this.advancing.delete(clock.id)
    this.clocks.delete(clock.id)
  }
}

function addToIndex(index: Map<string, Set<string>>, key: string, value: string): void {
  let set = index.get(key)
  if (!set) index.set(key, (set = new Set()))
  set.add(value)
}

/** Stripe's test payment-method tokens (#23, #24, #25). */
const TEST_TOKENS: Record<string, {brand: string; last4: string; behaviour: CardBehaviour; declinedAtAttach?: boolean}> = {
  pm_card_visa: {brand: 'visa', last4: '4242', behaviour: 'succeeds'},
  pm_card_mastercard: {brand: 'mastercard', last4: '4444', behaviour: 'succeeds'},
  pm_card_chargeCustomerFail: {brand: 'visa', last4: '0341', behaviour: 'charge_fails'},
  pm_card_chargeDeclined: {brand: 'visa', last4: '0002', behaviour: 'charge_fails', declinedAtAttach: true},
}
