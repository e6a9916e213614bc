/** A refund as stored and rendered, and the refunds of a charge. */
import type Stripe from 'stripe'
import {type Account} from '../../account.js'
import {type Metadata} from '../../params.js'
import {collectionKey} from '../../store.js'
import type {Wire} from '../../wire.js'

export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer'

export interface RefundRecord {
  id: string
  created: number
  amount: number
  charge: string
  paymentIntent: string | null
  currency: string
  customer: string | null
  paymentMethod: string
  reason: RefundReason | null
  metadata: Metadata
  testClock: string | null
  seq: number
}

export const REFUNDS = collectionKey<RefundRecord>('refunds', 'refund')
export const BY_CHARGE = 'refunds-by-charge'
export const BY_CLOCK = 'refunds-by-clock'

export function renderRefund(refund: RefundRecord): Wire<Stripe.Refund> {
  return {
    id: refund.id,
    object: 'refund',
    amount: refund.amount,
    balance_transaction: null,
    charge: refund.charge,
    created: refund.created,
    currency: refund.currency,
    customer: refund.customer,
    customer_account: null,
    // As Stripe's example card refund (fixtures3.json): test-mode card refunds settle at once.
    destination_details: {card: {type: 'reversal'}, type: 'card'},
    metadata: refund.metadata,
    payment_intent: refund.paymentIntent,
    payment_method: refund.paymentMethod,
    reason: refund.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  }
}

export function refundsOfCharge(account: Account, chargeId: string): RefundRecord[] {
  return account.store.indexed(REFUNDS, BY_CHARGE, chargeId)
}
