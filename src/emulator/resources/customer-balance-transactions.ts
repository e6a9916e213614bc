/** Customer balance transactions: the ledger behind a customer's invoice balance (SB-K4). */
import type Stripe from 'stripe'
import type {Account} from '../account.js'
import {ApiError, notModelled} from '../errors.js'
import {type Metadata, checkParams, int, mergeMetadata, optStr, required, str} from '../params.js'
import {COMMON, PAGINATION, type Resource, filter, list, route, updating} from '../resource.js'
import {collectionKey} from '../store.js'
import {CUSTOMERS, type CustomerRecord, customersOnClock, liveCustomer, renderCustomer} from './customers/record.js'
import {assertClockWritable} from './test-clocks.js'
import type {Wire} from '../wire.js'

export type BalanceTransactionType = 'adjustment' | 'applied_to_invoice' | 'credit_note' | 'initial'

export interface BalanceTransactionRecord {
  id: string
  created: number
  customer: string
  amount: number
  currency: string
  description: string | null
  metadata: Metadata
  endingBalance: number
  type: BalanceTransactionType
  invoice: string | null
  creditNote: string | null
  seq: number
}

export const BALANCE_TRANSACTIONS = collectionKey<BalanceTransactionRecord>(
  'customerBalanceTransactions',
  'customer balance transaction',
)
const BY_CUSTOMER = 'balance-transactions-by-customer'

export function renderBalanceTransaction(txn: BalanceTransactionRecord): Wire<Stripe.CustomerBalanceTransaction> {
  return {
    id: txn.id,
    object: 'customer_balance_transaction',
    amount: txn.amount,
    checkout_session: null,
    created: txn.created,
    credit_note: txn.creditNote,
    currency: txn.currency,
    customer: txn.customer,
    customer_account: null,
    description: txn.description,
    ending_balance: txn.endingBalance,
    invoice: txn.invoice,
    livemode: false,
    metadata: txn.metadata,
    type: txn.type,
  }
}

/**
 * Moves the customer's balance by `amount` (negative: credit; positive: debit) and records it in the
 * ledger (SB-K4). The customer's `customer.updated` carries the new balance; Stripe has no event of
 * the transaction's own.
 */
export function recordBalanceTransaction(
  account: Account,
  customer: CustomerRecord,
  input: {
    amount: number
    currency: string
    type: BalanceTransactionType
    invoice?: string
    creditNote?: string
    description?: string | null
    metadata?: Metadata
  },
  at: number,
): BalanceTransactionRecord {
  updating(
    account,
    'customer.updated',
    customer.testClock,
    () => renderCustomer(account, customer),
    () => {
      customer.balance += input.amount
      // A customer without a currency takes the transaction's (SN23 `currency`).
      customer.currency ??= input.currency
    },
  )
  const txn: BalanceTransactionRecord = {
    id: account.newId('cbtxn_'),
    created: at,
    customer: customer.id,
    amount: input.amount,
    currency: input.currency,
    description: input.description ?? null,
    metadata: input.metadata ?? {},
    endingBalance: customer.balance,
    type: input.type,
    invoice: input.invoice ?? null,
    creditNote: input.creditNote ?? null,
    seq: account.nextSeq(),
  }
  account.store.of(BALANCE_TRANSACTIONS).set(txn.id, txn)
  account.store.index(BY_CUSTOMER).add(customer.id, txn.id)
  return txn
}

function transactionOf(account: Account, customerId: string, id: string): BalanceTransactionRecord {
  const txn = account.store.of(BALANCE_TRANSACTIONS).get(id)
  if (txn?.customer !== customerId)
    throw new ApiError(
      404,
      'invalid_request_error',
      `No such customer balance transaction: '${id}'`,
      'resource_missing',
      'id',
    )
  return txn
}

export const customerBalanceTransactions: Resource = {
  object: 'customer_balance_transaction',
  idPrefixes: ['cbtxn_'],
  render: (account, id) => {
    const txn = account.store.of(BALANCE_TRANSACTIONS).get(id)
    return txn && renderBalanceTransaction(txn)
  },
  documentedParams: {
    file: 'Customers.d.ts',
    interfaces: [
      'CustomerCreateBalanceTransactionParams',
      'CustomerListBalanceTransactionsParams',
      'CustomerRetrieveBalanceTransactionParams',
      'CustomerUpdateBalanceTransactionParams',
    ],
  },
  onClockDeleted: (account, clockId) => {
    for (const customer of customersOnClock(account, clockId)) {
      for (const txn of account.store.indexed(BALANCE_TRANSACTIONS, BY_CUSTOMER, customer.id))
        account.store.of(BALANCE_TRANSACTIONS).delete(txn.id)
      account.store.index(BY_CUSTOMER).drop(customer.id)
    }
  },
  routes: [
    route('POST', '/v1/customers/:id/balance_transactions', (ctx) => {
      checkParams(
        ctx.params,
        'CustomerCreateBalanceTransactionParams',
        [...COMMON, 'amount', 'currency', 'description', 'metadata'],
        'POST /v1/customers/{id}/balance_transactions',
      )
      const {account, params: p} = ctx
      const customer = liveCustomer(account, ctx.ids[0] ?? '', 'customer')
      assertClockWritable(account, customer.testClock)
      const amount = int(required(p, 'amount'), 'amount', Number.MIN_SAFE_INTEGER)
      const currency = str(required(p, 'currency'), 'currency').toLowerCase()
      // One balance per currency (invoice_credit_balance) is multi-currency billing, not modelled (SB-31).
      if (customer.currency !== null && customer.currency !== currency)
        throw notModelled(`a balance transaction in ${currency} for a customer billed in ${customer.currency}`)
      const txn = recordBalanceTransaction(
        account,
        customer,
        {
          amount,
          currency,
          type: 'adjustment',
          description: optStr(p.description, 'description') ?? null,
          metadata: mergeMetadata({}, p.metadata),
        },
        account.nowFor(customer.testClock),
      )
      return renderBalanceTransaction(txn)
    }),
    route('GET', '/v1/customers/:id/balance_transactions', (ctx) => {
      checkParams(
        ctx.params,
        'CustomerListBalanceTransactionsParams',
        [...COMMON, 'invoice', ...PAGINATION],
        'GET /v1/customers/{id}/balance_transactions',
      )
      const {account, params: p} = ctx
      const customer = account.store.of(CUSTOMERS).require(ctx.ids[0] ?? '')
      const invoice = p.invoice === undefined ? undefined : str(p.invoice, 'invoice')
      return list(
        ctx,
        filter(
          account.store.indexed(BALANCE_TRANSACTIONS, BY_CUSTOMER, customer.id),
          (txn) => invoice === undefined || txn.invoice === invoice,
        ),
        renderBalanceTransaction,
      )
    }),
    route('GET', '/v1/customers/:id/balance_transactions/:id', (ctx) => {
      checkParams(
        ctx.params,
        'CustomerRetrieveBalanceTransactionParams',
        COMMON,
        'GET /v1/customers/{id}/balance_transactions/{id}',
      )
      return renderBalanceTransaction(transactionOf(ctx.account, ctx.ids[0] ?? '', ctx.ids[1] ?? ''))
    }),
    route('POST', '/v1/customers/:id/balance_transactions/:id', (ctx) => {
      checkParams(
        ctx.params,
        'CustomerUpdateBalanceTransactionParams',
        [...COMMON, 'description', 'metadata'],
        'POST /v1/customers/{id}/balance_transactions/{id}',
      )
      const {account, params: p} = ctx
      const txn = transactionOf(account, ctx.ids[0] ?? '', ctx.ids[1] ?? '')
      assertClockWritable(account, account.store.of(CUSTOMERS).get(txn.customer)?.testClock ?? null)
      // Only the description and metadata change: the ledger itself is immutable (SB-K4).
      if (p.description !== undefined) txn.description = optStr(p.description, 'description') ?? null
      txn.metadata = mergeMetadata(txn.metadata, p.metadata)
      return renderBalanceTransaction(txn)
    }),
  ],
}
