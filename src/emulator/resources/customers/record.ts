/** A customer as stored and rendered, and what other resources ask of one. */
import {type Account} from '../../account.js'
import {ApiError} from '../../errors.js'
import {type Metadata} from '../../params.js'
import {type ApiObject, updating} from '../../resource.js'
import {collectionKey} from '../../store.js'
import {DISCOUNTS, type DiscountRecord, discountApplies, renderDiscount} from '../discount-record.js'

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
  /** The legacy default source, a `card_` (SB-K10); absent on older records. */
  defaultSource?: string | null
  /** Its own discount (`di_`), set before basil by `coupon` / `promotion_code` (SB-T4); absent on older records. */
  discount?: string | null
  /** Set by its first subscription; one currency per customer for recurring billing (SB-31). */
  currency: string | null
  /** Negative is credit the next invoice uses up (SB-37). */
  balance: number
  preferredLocales: string[]
  /** The latest invoice state change: an automatic payment failure sets it, a payment clears it (SB-38). */
  delinquent: boolean
  deleted: boolean
  seq: number
}

export const CUSTOMERS = collectionKey<CustomerRecord>('customers', 'customer')
export const BY_CLOCK = 'customers-by-clock'
export const MAX_CUSTOMERS_PER_CLOCK = 3 // SB-16

export function renderCustomer(account: Account, customer: CustomerRecord): ApiObject {
  if (customer.deleted) return {id: customer.id, object: 'customer', deleted: true} // SB-67
  return {
    id: customer.id,
    object: 'customer',
    address: null,
    balance: customer.balance,
    created: customer.created,
    currency: customer.currency,
    default_source: customer.defaultSource ?? null,
    delinquent: customer.delinquent,
    description: customer.description,
    // Only requests before basil can set one (SB-57, SB-T4).
    discount: (() => {
      const discount = customerDiscount(account, customer)
      return discount ? renderDiscount(discount) : null
    })(),
    email: customer.email,
    invoice_prefix: customer.id.slice(4, 12).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: customer.defaultPaymentMethod,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: customer.metadata,
    name: customer.name,
    next_invoice_sequence: 1,
    phone: customer.phone,
    preferred_locales: customer.preferredLocales,
    shipping: null,
    tax_exempt: 'none',
    test_clock: customer.testClock,
  }
}

/** The customer's discount while it still applies: a spent `once` or an ended `repeating` one is gone (SB-60, SB-T4). */
export function customerDiscount(account: Account, customer: CustomerRecord): DiscountRecord | undefined {
  const discount = customer.discount ? account.store.of(DISCOUNTS).get(customer.discount) : undefined
  return discount && discountApplies(discount, account.nowFor(customer.testClock)) ? discount : undefined
}

/** A customer that exists and is not deleted: a deleted customer takes no further operations (SB-67). */
export function liveCustomer(account: Account, id: string, param = 'id'): CustomerRecord {
  const customer = account.store.of(CUSTOMERS).require(id, param)
  if (customer.deleted)
    throw new ApiError(404, 'invalid_request_error', `No such customer: '${id}'`, 'resource_missing', param)
  return customer
}

export function customersOnClock(account: Account, clockId: string): CustomerRecord[] {
  return account.store.indexed(CUSTOMERS, BY_CLOCK, clockId)
}

/** `delinquent` follows the customer's latest invoice state change (SB-38). */
export function setDelinquent(account: Account, customerId: string, delinquent: boolean): void {
  const customer = account.store.of(CUSTOMERS).get(customerId)
  if (!customer || customer.delinquent === delinquent) return
  updating(
    account,
    'customer.updated',
    customer.testClock,
    () => renderCustomer(account, customer),
    () => (customer.delinquent = delinquent),
  )
}

/** A customer bills in one currency: a subscription in another is refused while one is live (SB-31). */
export function claimCurrency(
  account: Account,
  customer: CustomerRecord,
  currency: string,
  hasLiveSubscriptions: boolean,
): void {
  if (customer.currency && customer.currency !== currency && hasLiveSubscriptions) {
    throw new ApiError(
      400,
      'invalid_request_error',
      `You cannot combine currencies on a single customer. This customer has an active subscription with currency ${customer.currency}.`,
      undefined,
      'currency',
    )
  }
  if (customer.currency !== currency)
    updating(
      account,
      'customer.updated',
      customer.testClock,
      () => renderCustomer(account, customer),
      () => (customer.currency = currency),
    )
}
