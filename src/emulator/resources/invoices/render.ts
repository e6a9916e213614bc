/** An invoice and its lines in the API shape. */
import type Stripe from 'stripe'
import {type Account} from '../../account.js'
import {CUSTOMERS} from '../customers/record.js'
import {INVOICE_ITEMS} from '../invoice-items/record.js'
import {PRICES} from '../prices.js'
import {PRODUCTS} from '../products.js'
import {renderTaxRate, TAX_RATES} from '../tax-rates.js'
import {type InvoiceRecord, type InvoiceLineRecord} from './record.js'
import {subtotal, renderTax, amountDue, taxSum, total, totalTaxes} from './amounts.js'
import type {Wire} from '../../wire.js'

export function lineDescription(
  account: Account,
  price: string | null,
  quantity: number,
  fallback: string | null,
): string {
  const product = price ? account.store.of(PRODUCTS).get(account.store.of(PRICES).get(price)?.product ?? '') : undefined
  return fallback ?? `${quantity} × ${product?.name ?? 'item'}`
}

export function renderLine(
  account: Account,
  invoice: InvoiceRecord,
  line: InvoiceLineRecord,
): Wire<Stripe.InvoiceLineItem> {
  const prorationDetails = {
    credited_items: line.credits ? {invoice: line.credits.invoice, invoice_line_items: [line.credits.line]} : null,
  }
  // An ended subscription's item billed on another invoice still names its own subscription (SB-39).
  const subscription =
    (line.invoiceItem ? account.store.of(INVOICE_ITEMS).get(line.invoiceItem)?.subscription : null) ??
    invoice.subscription
  const parent = line.subscriptionItem
    ? {
        invoice_item_details: null,
        subscription_item_details: {
          invoice_item: line.invoiceItem,
          proration: line.proration,
          proration_details: prorationDetails,
          subscription,
          subscription_item: line.subscriptionItem,
        },
        type: 'subscription_item_details' as const,
      }
    : line.invoiceItem
      ? {
          invoice_item_details: {
            invoice_item: line.invoiceItem,
            proration: line.proration,
            proration_details: prorationDetails,
            subscription,
          },
          subscription_item_details: null,
          type: 'invoice_item_details' as const,
        }
      : null
  const product = line.price ? account.store.of(PRICES).get(line.price)?.product : undefined
  return {
    id: line.id,
    object: 'line_item',
    amount: line.amount,
    currency: invoice.currency,
    description: line.description,
    discount_amounts: line.discountAmounts,
    discountable: line.discountable,
    discounts: [...new Set(line.discountAmounts.map((d) => d.discount))],
    invoice: invoice.id,
    livemode: false,
    metadata: {},
    parent,
    period: {end: line.periodEnd, start: line.periodStart},
    pretax_credit_amounts: [],
    pricing: {
      // Absent, not null, without a price (stripe-node `InvoiceLineItem.Pricing`).
      ...(line.price && product ? {price_details: {price: line.price, product}} : {}),
      type: 'price_details',
      unit_amount_decimal: String(line.quantity ? line.amount / line.quantity : 0),
    },
    quantity: line.quantity,
    quantity_decimal: String(line.quantity),
    subscription: invoice.subscription,
    subtotal: line.amount,
    taxes: line.taxes.map(renderTax),
  }
}

export function renderInvoice(account: Account, invoice: InvoiceRecord): Wire<Stripe.Invoice> {
  const customer = account.store.of(CUSTOMERS).get(invoice.customer)
  const due = amountDue(invoice)
  const totals = new Map<string, number>()
  for (const line of invoice.lines)
    for (const d of line.discountAmounts) totals.set(d.discount, (totals.get(d.discount) ?? 0) + d.amount)
  return {
    id: invoice.id,
    object: 'invoice',
    account_country: 'US',
    account_name: null,
    account_tax_ids: null,
    amount_due: due,
    amount_overpaid: 0,
    amount_paid: invoice.amountPaid,
    amount_remaining: invoice.status === 'paid' || invoice.status === 'void' ? 0 : due - invoice.amountPaid,
    amount_shipping: 0,
    application: null,
    attempt_count: invoice.attemptCount,
    attempted: invoice.attemptCount > 0,
    auto_advance: invoice.autoAdvance,
    automatic_tax: {disabled_reason: null, enabled: false, liability: null, provider: null, status: null},
    automatically_finalizes_at: invoice.status === 'draft' && invoice.autoAdvance ? invoice.finalizesAt : null,
    billing_reason: invoice.billingReason,
    collection_method: invoice.collectionMethod,
    created: invoice.created,
    currency: invoice.currency,
    custom_fields: null,
    customer: invoice.customer,
    customer_account: null,
    customer_address: null,
    customer_email: customer?.email ?? null,
    customer_name: customer?.name ?? null,
    customer_phone: customer?.phone ?? null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: invoice.defaultTaxRates.map((id) => renderTaxRate(account.store.of(TAX_RATES).require(id))),
    description: invoice.description,
    discounts: invoice.discounts,
    due_date: invoice.dueDate,
    effective_at: invoice.finalizedAt,
    ending_balance: invoice.endingBalance,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: {type: 'self'},
    last_finalization_error: null,
    latest_revision: null,
    lines: {
      object: 'list',
      data: invoice.lines.map((line) => renderLine(account, invoice, line)),
      has_more: false,
      total_count: invoice.lines.length,
      url: `/v1/invoices/${invoice.id}/lines`,
    },
    livemode: false,
    metadata: invoice.metadata,
    next_payment_attempt: invoice.nextPaymentAttempt,
    number: invoice.number,
    on_behalf_of: null,
    parent: invoice.subscription
      ? {
          quote_details: null,
          subscription_details: {metadata: {}, subscription: invoice.subscription},
          type: 'subscription_details',
        }
      : null,
    payment_settings: {default_mandate: null, payment_method_options: null, payment_method_types: null},
    period_end: invoice.periodEnd,
    period_start: invoice.periodStart,
    post_payment_credit_notes_amount: invoice.postPaymentCredit,
    pre_payment_credit_notes_amount: invoice.prePaymentCredit,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: invoice.startingBalance,
    statement_descriptor: null,
    status: invoice.status,
    // Endive: why an invoice is uncollectible, only while it is (SB-40).
    ...(invoice.status === 'uncollectible' && invoice.uncollectibleReason
      ? {status_details: {uncollectible: {reason: invoice.uncollectibleReason}}}
      : {}),
    status_transitions: {
      finalized_at: invoice.finalizedAt,
      marked_uncollectible_at: invoice.markedUncollectibleAt,
      paid_at: invoice.paidAt,
      voided_at: invoice.voidedAt,
    },
    subtotal: subtotal(invoice),
    subtotal_excluding_tax: subtotal(invoice) - taxSum(invoice, true),
    test_clock: invoice.testClock,
    total: total(invoice),
    total_discount_amounts: [...totals].map(([discount, amount]) => ({amount, discount})),
    total_excluding_tax: total(invoice) - taxSum(invoice, false) - taxSum(invoice, true),
    total_pretax_credit_amounts: [],
    total_taxes: totalTaxes(invoice),
    webhooks_delivered_at: invoice.created, // SB-32: no webhooks to wait for
  }
}
