import type Stripe from 'stripe'
import type {Account} from '../account.js'
import {ApiError, invalid, notModelled} from '../errors.js'
import {
  type Metadata,
  checkNested,
  checkParams,
  int,
  mergeMetadata,
  objectArray,
  oneOf,
  optStr,
  required,
  str,
} from '../params.js'
import {COMMON, PAGINATION, type Resource, filter, list, route, updating} from '../resource.js'
import {collectionKey} from '../store.js'
import {CHARGES} from './charges.js'
import {recordBalanceTransaction} from './customer-balance-transactions.js'
import {CUSTOMERS} from './customers/record.js'
import {INVOICES, type InvoiceRecord} from './invoices/record.js'
import {amountDue, isTaxed, total} from './invoices/amounts.js'
import {creditInvoice} from './invoices/lifecycle.js'
import {PAYMENT_INTENTS} from './payment-intents.js'
import {refundCharge} from './refunds/routes.js'
import {assertClockWritable} from './test-clocks.js'
import type {Wire} from '../wire.js'

type CreditNoteReason = 'duplicate' | 'fraudulent' | 'order_change' | 'product_unsatisfactory'

interface CreditNoteLineRecord {
  id: string
  amount: number
  quantity: number
  unitAmount: number
  description: string | null
}

export interface CreditNoteRecord {
  id: string
  created: number
  invoice: string
  /** The customer balance transaction its `credit_amount` made (SB-K4). */
  balanceTransaction?: string
  customer: string
  currency: string
  amount: number
  prePaymentAmount: number
  postPaymentAmount: number
  refundAmount: number
  refund: string | null
  creditAmount: number
  outOfBandAmount: number
  lines: CreditNoteLineRecord[]
  reason: CreditNoteReason | null
  memo: string | null
  metadata: Metadata
  status: 'issued' | 'void'
  voidedAt: number | null
  number: string
  testClock: string | null
  seq: number
}

export const CREDIT_NOTES = collectionKey<CreditNoteRecord>('creditNotes', 'credit note')
const BY_INVOICE = 'credit-notes-by-invoice'
const BY_CLOCK = 'credit-notes-by-clock'

function renderLine(line: CreditNoteLineRecord): Wire<Stripe.CreditNoteLineItem> {
  return {
    id: line.id,
    object: 'credit_note_line_item',
    amount: line.amount,
    description: line.description,
    discount_amount: 0,
    discount_amounts: [],
    livemode: false,
    metadata: {},
    pretax_credit_amounts: [],
    quantity: line.quantity,
    tax_rates: [],
    taxes: [],
    type: 'custom_line_item',
    unit_amount: line.unitAmount,
    unit_amount_decimal: String(line.unitAmount),
  }
}

export function renderCreditNote(note: CreditNoteRecord): Wire<Stripe.CreditNote> {
  return {
    id: note.id,
    object: 'credit_note',
    amount: note.amount,
    amount_shipping: 0,
    created: note.created,
    currency: note.currency,
    customer: note.customer,
    customer_account: null,
    customer_balance_transaction: note.balanceTransaction ?? null,
    discount_amount: 0,
    discount_amounts: [],
    effective_at: note.created,
    invoice: note.invoice,
    lines: {
      object: 'list',
      data: note.lines.map(renderLine),
      has_more: false,
      url: `/v1/credit_notes/${note.id}/lines`,
    },
    livemode: false,
    memo: note.memo,
    metadata: note.metadata,
    number: note.number,
    out_of_band_amount: note.outOfBandAmount === 0 ? null : note.outOfBandAmount,
    pdf: `https://pay.stripe.com/credit_notes/emulator/${note.id}/pdf`,
    post_payment_amount: note.postPaymentAmount,
    pre_payment_amount: note.prePaymentAmount,
    pretax_credit_amounts: [],
    reason: note.reason,
    refunds: note.refund
      ? [{amount_refunded: note.refundAmount, payment_record_refund: null, refund: note.refund, type: 'refund'}]
      : [],
    shipping_cost: null,
    status: note.status,
    subtotal: note.amount,
    subtotal_excluding_tax: note.amount,
    total: note.amount,
    total_excluding_tax: note.amount,
    total_taxes: [],
    type: note.postPaymentAmount > 0 ? (note.prePaymentAmount > 0 ? 'mixed' : 'post_payment') : 'pre_payment',
    voided_at: note.voidedAt,
  }
}

function notesOfInvoice(account: Account, invoice: string): CreditNoteRecord[] {
  return account.store.indexed(CREDIT_NOTES, BY_INVOICE, invoice)
}

/** The amount a create request credits: `amount`, or the sum of its custom lines (SB-74). */
function requestedLines(
  account: Account,
  params: Record<string, unknown>,
): {amount: number; lines: CreditNoteLineRecord[]} {
  const lines = objectArray(params.lines, 'lines').map((raw, index) => {
    const line = checkNested(
      raw,
      `lines[${index}]`,
      [
        'amount',
        'description',
        'invoice_line_item',
        'metadata',
        'quantity',
        'tax_amounts',
        'tax_rates',
        'type',
        'unit_amount',
        'unit_amount_decimal',
      ],
      ['type', 'unit_amount', 'quantity', 'description'],
      'POST /v1/credit_notes',
    )
    if (
      oneOf(line.type, `lines[${index}][type]`, ['custom_line_item', 'invoice_line_item'] as const) ===
      'invoice_line_item'
    )
      throw notModelled('credit note lines of type invoice_line_item (use custom_line_item or amount)')
    const unitAmount = int(required(line, 'unit_amount'), `lines[${index}][unit_amount]`, 1)
    const quantity = line.quantity === undefined ? 1 : int(line.quantity, `lines[${index}][quantity]`, 1)
    return {
      id: account.newId('cnli_'),
      amount: unitAmount * quantity,
      quantity,
      unitAmount,
      description: optStr(line.description, `lines[${index}][description]`) ?? null,
    }
  })
  const fromLines = lines.reduce((sum, line) => sum + line.amount, 0)
  if (params.amount === undefined) {
    if (lines.length === 0)
      throw new ApiError(
        400,
        'invalid_request_error',
        'One of `amount`, `lines`, or `shipping_cost` must be provided.',
        'parameter_missing',
        'amount',
      )
    return {amount: fromLines, lines}
  }
  const amount = int(params.amount, 'amount', 1)
  if (lines.length > 0 && amount !== fromLines)
    throw invalid(`The credit note amount (${amount}) must equal the sum of its lines (${fromLines}).`, 'amount')
  return {amount, lines}
}

/** The charge that paid an invoice, for a credit note's refund (SB-74). */
function invoiceCharge(account: Account, invoice: InvoiceRecord) {
  const intent = invoice.paymentIntent ? account.store.of(PAYMENT_INTENTS).get(invoice.paymentIntent) : undefined
  const record =
    intent?.status === 'succeeded' && intent.latestCharge
      ? account.store.of(CHARGES).get(intent.latestCharge)
      : undefined
  if (!record)
    throw invalid(
      `Invoice ${invoice.id} was not paid by a charge, so refund_amount cannot be refunded.`,
      'refund_amount',
    )
  return record
}

export const creditNotes: Resource = {
  object: 'credit_note',
  idPrefixes: ['cn_'],
  render: (account, id) => {
    const note = account.store.of(CREDIT_NOTES).get(id)
    return note && renderCreditNote(note)
  },
  documentedParams: {
    file: 'CreditNotes.d.ts',
    interfaces: [
      'CreditNoteCreateParams',
      'CreditNoteRetrieveParams',
      'CreditNoteUpdateParams',
      'CreditNoteListParams',
      'CreditNoteVoidCreditNoteParams',
    ],
  },
  onClockDeleted: (account, clockId) => {
    for (const note of account.store.indexed(CREDIT_NOTES, BY_CLOCK, clockId)) {
      account.store.of(CREDIT_NOTES).delete(note.id)
      account.store.index(BY_INVOICE).drop(note.invoice)
    }
    account.store.index(BY_CLOCK).drop(clockId)
  },
  routes: [
    route('POST', '/v1/credit_notes', (ctx) => {
      checkParams(
        ctx.params,
        'CreditNoteCreateParams',
        [
          ...COMMON,
          'invoice',
          'amount',
          'lines',
          'refund_amount',
          'credit_amount',
          'out_of_band_amount',
          'reason',
          'memo',
          'metadata',
        ],
        'POST /v1/credit_notes',
      )
      const {account, params: p} = ctx
      const invoice = account.store.of(INVOICES).require(str(required(p, 'invoice'), 'invoice'), 'invoice')
      assertClockWritable(account, invoice.testClock)
      // Finalized invoices only (SB-74); what a credit note does to an uncollectible one is not modelled.
      if (invoice.status === 'draft' || invoice.status === 'void')
        throw invalid(
          `You can only create a credit note for a finalized invoice; ${invoice.id} is ${invoice.status}.`,
          'invoice',
        )
      if (invoice.status === 'uncollectible') throw notModelled('credit notes for uncollectible invoices')
      // A credit note's tax lines (how much tax each credited amount gives back) are not modelled (SB-78).
      if (isTaxed(invoice)) throw notModelled('credit notes for invoices with tax (SB-78)')
      const {amount, lines} = requestedLines(account, p)
      const credited = notesOfInvoice(account, invoice.id)
        .filter((note) => note.status === 'issued')
        .reduce((sum, note) => sum + note.amount, 0)
      if (amount > total(invoice) - credited)
        throw invalid(
          `The credit note amount (${amount}) exceeds what remains to credit on the invoice (${total(invoice) - credited}).`,
          'amount',
        )
      // First what is still due, never below zero; the rest must be split exactly (SB-74).
      const remaining = invoice.status === 'open' ? amountDue(invoice) - invoice.amountPaid : 0
      const pre = Math.min(amount, remaining)
      if (invoice.status === 'open' && pre === remaining)
        throw notModelled('a credit note that leaves an open invoice with nothing to pay (what its status becomes)')
      const post = amount - pre
      const refundAmount = p.refund_amount === undefined ? 0 : int(p.refund_amount, 'refund_amount')
      const creditAmount = p.credit_amount === undefined ? 0 : int(p.credit_amount, 'credit_amount')
      const outOfBandAmount = p.out_of_band_amount === undefined ? 0 : int(p.out_of_band_amount, 'out_of_band_amount')
      if (refundAmount + creditAmount + outOfBandAmount !== post)
        throw invalid(
          `The sum of refund_amount, credit_amount and out_of_band_amount (${refundAmount + creditAmount + outOfBandAmount}) must equal the credit note's post-payment amount (${post}).`,
          'amount',
        )
      const at = account.nowFor(invoice.testClock)
      const refund =
        refundAmount > 0
          ? refundCharge(
              account,
              invoiceCharge(account, invoice),
              {amount: refundAmount, reason: null, metadata: {}},
              at,
            )
          : undefined
      const customer = account.store.of(CUSTOMERS).get(invoice.customer)
      // Credit to the balance is customer credit: a negative balance the next invoice uses (SB-37),
      // entered in the customer's ledger as a credit_note transaction (SB-K4).
      const balanceTxn =
        creditAmount > 0 && customer
          ? recordBalanceTransaction(
              account,
              customer,
              {amount: -creditAmount, currency: invoice.currency, type: 'credit_note', invoice: invoice.id},
              at,
            )
          : undefined
      creditInvoice(account, invoice, pre, post)
      const sequence = notesOfInvoice(account, invoice.id).length + 1
      const note: CreditNoteRecord = {
        id: account.newId('cn_'),
        created: at,
        invoice: invoice.id,
        customer: invoice.customer,
        currency: invoice.currency,
        amount,
        prePaymentAmount: pre,
        postPaymentAmount: post,
        refundAmount,
        refund: refund?.id ?? null,
        creditAmount,
        outOfBandAmount,
        lines,
        reason:
          p.reason === undefined
            ? null
            : oneOf(p.reason, 'reason', ['duplicate', 'fraudulent', 'order_change', 'product_unsatisfactory'] as const),
        memo: optStr(p.memo, 'memo') ?? null,
        metadata: mergeMetadata({}, p.metadata),
        status: 'issued',
        voidedAt: null,
        number: `${invoice.number ?? invoice.id}-CN-${String(sequence).padStart(2, '0')}`,
        testClock: invoice.testClock,
        seq: account.nextSeq(),
      }
      if (balanceTxn) {
        note.balanceTransaction = balanceTxn.id
        balanceTxn.creditNote = note.id
      }
      account.store.of(CREDIT_NOTES).set(note.id, note)
      account.store.index(BY_INVOICE).add(invoice.id, note.id)
      if (note.testClock) account.store.index(BY_CLOCK).add(note.testClock, note.id)
      account.emit('credit_note.created', () => renderCreditNote(note), note.testClock)
      return renderCreditNote(note)
    }),
    route('GET', '/v1/credit_notes/:id', (ctx) => {
      checkParams(ctx.params, 'CreditNoteRetrieveParams', COMMON, 'GET /v1/credit_notes/{id}')
      return renderCreditNote(ctx.account.store.of(CREDIT_NOTES).require(ctx.ids[0] ?? ''))
    }),
    route('POST', '/v1/credit_notes/:id', (ctx) => {
      checkParams(ctx.params, 'CreditNoteUpdateParams', [...COMMON, 'memo', 'metadata'], 'POST /v1/credit_notes/{id}')
      const {account, params: p} = ctx
      const note = account.store.of(CREDIT_NOTES).require(ctx.ids[0] ?? '')
      updating(
        account,
        'credit_note.updated',
        note.testClock,
        () => renderCreditNote(note),
        () => {
          note.metadata = mergeMetadata(note.metadata, p.metadata)
          if (p.memo !== undefined) note.memo = optStr(p.memo, 'memo') ?? null
        },
      )
      return renderCreditNote(note)
    }),
    route('POST', '/v1/credit_notes/:id/void', (ctx) => {
      checkParams(ctx.params, 'CreditNoteVoidCreditNoteParams', COMMON, 'POST /v1/credit_notes/{id}/void')
      const {account} = ctx
      const note = account.store.of(CREDIT_NOTES).require(ctx.ids[0] ?? '')
      const invoice = account.store.of(INVOICES).require(note.invoice, 'invoice')
      assertClockWritable(account, note.testClock)
      if (note.status === 'void') throw invalid(`Credit note ${note.id} is already void.`)
      // Undoing a refund or a balance credit is undocumented: only a pre-payment note on a still-open invoice is voided (SB-74).
      if (note.postPaymentAmount > 0 || invoice.status !== 'open')
        throw notModelled('voiding a credit note with a post-payment amount, or one whose invoice is no longer open')
      creditInvoice(account, invoice, -note.prePaymentAmount, 0)
      note.status = 'void'
      note.voidedAt = account.nowFor(note.testClock)
      account.emit('credit_note.voided', () => renderCreditNote(note), note.testClock)
      return renderCreditNote(note)
    }),
    route('GET', '/v1/credit_notes', (ctx) => {
      checkParams(
        ctx.params,
        'CreditNoteListParams',
        [...COMMON, 'invoice', 'customer', ...PAGINATION],
        'GET /v1/credit_notes',
      )
      const p = ctx.params
      const all =
        typeof p.invoice === 'string'
          ? notesOfInvoice(ctx.account, p.invoice)
          : ctx.account.store.of(CREDIT_NOTES).values()
      return list(
        ctx,
        filter(all, (note) => p.customer === undefined || note.customer === p.customer),
        renderCreditNote,
      )
    }),
  ],
}
