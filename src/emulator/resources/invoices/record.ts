/** An invoice as stored: its record, lines, collection and indexes. */
import {HOUR} from '../../../billing-time.js'
import {type Account} from '../../account.js'
import {type Metadata} from '../../params.js'
import {collectionKey} from '../../store.js'
import {type LineTax} from '../tax-rates.js'

export type BillingReason = 'subscription_create' | 'subscription_cycle' | 'subscription_update' | 'manual'
export type CollectionPause = 'keep_as_draft' | 'mark_uncollectible' | 'void'

export interface InvoiceLineRecord {
  id: string
  invoiceItem: string | null
  subscriptionItem: string | null
  price: string | null
  quantity: number
  amount: number
  description: string
  proration: boolean
  credits: {invoice: string; line: string} | null
  periodStart: number
  periodEnd: number
  discountable: boolean
  discountAmounts: Array<{amount: number; discount: string}>
  /** Computed once the line's discounts are known: tax follows discounts (SB-78). */
  taxes: LineTax[]
}

export interface InvoiceRecord {
  id: string
  created: number
  customer: string
  subscription: string | null
  currency: string
  billingReason: BillingReason
  status: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible'
  lines: InvoiceLineRecord[]
  periodStart: number
  periodEnd: number
  discounts: string[]
  /** Copied from the subscription: the rates of lines that have none of their own (SB-78). */
  defaultTaxRates: string[]
  autoAdvance: boolean
  startingBalance: number
  endingBalance: number | null
  amountPaid: number
  attemptCount: number
  /** When a draft is finalized and first charged (SB-32). */
  finalizesAt: number | null
  finalizedAt: number | null
  paidAt: number | null
  voidedAt: number | null
  markedUncollectibleAt: number | null
  uncollectibleReason: string | null
  firstFailureAt: number | null
  nextPaymentAttempt: number | null
  /** pause_collection's behaviour when the invoice was created (SB-65). */
  collectionPause: CollectionPause | null
  collectionMethod: 'charge_automatically' | 'send_invoice'
  daysUntilDue: number | null
  /** send_invoice: when payment is due, set at finalization (SB-70). */
  dueDate: number | null
  /** send_invoice: the due date passed unpaid and the subscription went past_due. */
  overdue: boolean
  /** The PaymentIntent and default InvoicePayment made at finalization when something is due (SB-69). */
  paymentIntent: string | null
  invoicePayment: string | null
  testClock: string | null
  number: string | null
  metadata: Metadata
  description: string | null
  /** What credit notes took off while it was unpaid, and gave back after (SB-74). */
  prePaymentCredit: number
  postPaymentCredit: number
  seq: number
}

export const INVOICES = collectionKey<InvoiceRecord>('invoices', 'invoice')
/** Drafts and open invoices per clock: the only invoices a clock's time engine looks at. */
export const ACTIVE_BY_CLOCK = 'active-invoices-by-clock'
export const BY_SUBSCRIPTION = 'invoices-by-subscription'
export const BY_CLOCK = 'invoices-by-clock'
/** Finalized invoices per customer: what numbers the next one. */
export const NUMBERED_BY_CUSTOMER = 'numbered-invoices-by-customer'
export const DRAFT_PERIOD = HOUR // SB-32: a renewal stays draft for about an hour

export function invoicesOfSubscription(account: Account, subscription: string): InvoiceRecord[] {
  return account.store.indexed(INVOICES, BY_SUBSCRIPTION, subscription)
}
