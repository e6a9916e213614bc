import {type Interval, addIntervals} from '../billing-time.js'
import {type EventSink, NO_EVENTS, type StateChange} from './event-sink.js'
import type {Resource} from './resource.js'
import type {InvoiceRecord} from './resources/invoices/record.js'
import type {PaymentIntentRecord} from './resources/payment-intents.js'
import type {SubscriptionRecord} from './resources/subscriptions/record.js'
import {Store, type StoreChanges} from './store.js'
import {TimeEngine} from './time-engine.js'

export interface AccountOptions {
  random: () => number
  wallNow: () => number
  /** Days after the first failed charge at which Smart Retries try again (SB-33). */
  retryScheduleDays: number[]
  /** What a subscription becomes when Smart Retries run out: an account setting whose default Stripe does not document (SB-34). */
  retriesExhausted?: 'cancel' | 'unpaid' | 'past_due'
  events?: EventSink
  /** The account's default currency (SB-K3): for invoices and invoice items of a customer without one; default `usd`. */
  defaultCurrency?: string
  /** The records, when the caller made them (the server shares them with the event log's webhook endpoints). */
  store?: Store
}

/** A Smart-Retries-like schedule: 8 tries in all (the first plus 7 retries) within two weeks (SB-33). */
export const DEFAULT_RETRY_SCHEDULE_DAYS = [1, 3, 5, 7, 9, 11, 14]

/**
 * What one resource tells the others through the account instead of importing them: the module that
 * acts sends a signal, and every resource that declares a handler for it (`Resource.on`) reacts.
 */
export interface AccountSignals {
  /** An invoice that drives its subscription was paid (SB-71). */
  invoicePaid: {invoice: InvoiceRecord; at: number}
  /** A draft is about to be finalized: its usage lines take the usage reported since it was made (SB-U13). */
  invoiceFinalizing: {invoice: InvoiceRecord}
  /** A payment attempt on such an invoice failed (SB-33). */
  invoicePaymentFailed: {invoice: InvoiceRecord}
  /** A send_invoice invoice passed its due date unpaid (SB-70). */
  invoiceOverdue: {invoice: InvoiceRecord}
  /** Smart Retries ran out on such an invoice (SB-34). */
  invoiceRetriesExhausted: {invoice: InvoiceRecord; at: number}
  /** An invoice's PaymentIntent was confirmed directly, as Stripe.js does with its client secret (SB-K2). */
  invoiceIntentConfirmed: {intent: PaymentIntentRecord; paymentMethod: string; at: number}
  /** A product is about to be deleted: a resource that still refers to it refuses by throwing (SB-K7). */
  productDeleting: {productId: string}
  /** A customer was deleted (SB-67). */
  customerDeleted: {customerId: string}
  /** A subscription ended: canceled or expired (SB-S6). */
  subscriptionEnded: {subscription: SubscriptionRecord; at: number}
}

export type SignalHandlers = {[K in keyof AccountSignals]?: (account: Account, payload: AccountSignals[K]) => void}

/** The longest advance a clock's objects allow, as a count of billing intervals' unit (SB-12). */
export interface AdvanceLimit {
  interval: Interval
  count: number
}

const ID_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/**
 * The emulated test-mode account: its records, its ids, its sense of time and where its state
 * changes go. Every resource module works on one Account.
 */
export class Account {
  readonly store: Store
  readonly events: EventSink
  /** The API request being handled; null while a test clock's time engine runs (SB-68). */
  request: {id: string; idempotencyKey: string | null} | null = null
  /** Runs billing events when a clock advances; given the resource list by the server. */
  time = new TimeEngine([])
  /** Every resource, in the order the server registers them: who hears signals and limits advances. */
  resources: readonly Resource[] = []
  /** The order in which resources forget a deleted clock's objects (registry.ts says why). */
  clockDeletionOrder: readonly Resource[] = []
  private seq = 0
  /** The state changes of the open transaction, published only when it commits (SB-A1). */
  private pending: StateChange[] | undefined
  private keep = false
  private discard = false

  constructor(readonly options: AccountOptions) {
    this.events = options.events ?? NO_EVENTS
    this.store = options.store ?? new Store()
  }

  /** The currency of a customer's invoices while the customer has none of its own (SB-K3). */
  get defaultCurrency(): string {
    return this.options.defaultCurrency ?? 'usd'
  }

  /** The id and seq counter, for --data. */
  get seqCounter(): number {
    return this.seq
  }

  set seqCounter(value: number) {
    this.seq = value
  }

  /**
   * Opens one all-or-nothing change (SB-A1): records are journaled and events held back until
   * `commit`; `rollback` leaves the account as it was.
   */
  begin(): void {
    this.store.begin()
    this.pending = []
    this.keep = false
    this.discard = false
  }

  /**
   * For an error that is the request's result after lasting changes, as a card decline leaves
   * the failed charge and the intent's last_payment_error (SB-A3): the changes made so far stand.
   */
  keepChanges(): void {
    this.keep = true
  }

  /**
   * For a request that answers what a change would do without making it, as an invoice preview
   * does (SB-U12): it runs the real change, renders the result, and then everything is undone.
   */
  discardChanges(): void {
    this.discard = true
  }

  /** Whether the open transaction is undone even though the request succeeds. */
  get discardsChanges(): boolean {
    return this.discard
  }

  /** Whether the open transaction's changes stand even though the request ends in an error. */
  get keepsChanges(): boolean {
    return this.keep
  }

  /** Keeps the transaction's changes and publishes its events, in order; with `collect`, lists the changes. */
  commit(collect = false): StoreChanges {
    const changes = this.store.commit(collect)
    const pending = this.pending ?? []
    this.pending = undefined
    this.keep = false
    this.discard = false
    for (const change of pending) this.events.emit(change)
    return changes
  }

  /** Undoes the transaction: its records, its indexes and its events are as if it never ran. */
  rollback(): void {
    this.store.rollback()
    this.pending = undefined
    this.keep = false
    this.discard = false
  }

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

  /** "Now" for an object: its test clock's frozen time, else the real time (SB-9). */
  nowFor(testClock: string | null): number {
    if (!testClock) return this.wallSeconds()
    return this.clockTime(testClock) ?? this.wallSeconds()
  }

  /** Tells every resource that listens what happened (see AccountSignals). */
  signal<K extends keyof AccountSignals>(name: K, payload: AccountSignals[K]): void {
    for (const resource of this.resources) resource.on?.[name]?.(this, payload)
  }

  /** The shortest of the limits the clock's objects put on one advance (SB-12); undefined when none does. */
  advanceLimit(clockId: string): AdvanceLimit | undefined {
    let shortest: {limit: AdvanceLimit; end: number} | undefined
    for (const resource of this.resources) {
      const limit = resource.advanceLimit?.(this, clockId)
      if (!limit) continue
      const end = addIntervals(0, limit.interval, limit.count)
      if (!shortest || end < shortest.end) shortest = {limit, end}
    }
    return shortest?.limit
  }

  /** Set by the test-clock module: a clock's frozen time. */
  clockTime: (clockId: string) => number | undefined = () => undefined

  /** Whether anyone receives state changes: without a sink, updates skip rendering before and after. */
  get recording(): boolean {
    return this.events !== NO_EVENTS
  }

  /** One state change, with the object as rendered now (SB-68); rendered only when a sink listens. */
  emit(
    type: string,
    render: () => Record<string, unknown>,
    testClock: string | null,
    previousAttributes?: Record<string, unknown>,
  ): void {
    if (!this.recording) return
    const change: StateChange = {
      type,
      object: render(),
      created: this.nowFor(testClock),
      request: this.request,
      ...(previousAttributes ? {previousAttributes} : {}),
    }
    if (this.pending) this.pending.push(change)
    else this.events.emit(change)
  }
}

/** The top-level fields of `before` that differ in `after`, with their old values: an update's previous_attributes. */
export function changedFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const changed: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(before))
    if (JSON.stringify(value) !== JSON.stringify(after[key])) changed[key] = value
  return Object.keys(changed).length > 0 ? changed : undefined
}
