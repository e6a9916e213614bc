/** An invoice's sums: subtotal, taxes, total and amount due. */
import type Stripe from 'stripe'
import {type LineTax} from '../tax-rates.js'
import type {Wire} from '../../wire.js'
import {type InvoiceRecord} from './record.js'

export function subtotal(invoice: InvoiceRecord): number {
  return invoice.lines.reduce((sum, line) => sum + line.amount, 0)
}

export function taxSum(invoice: InvoiceRecord, inclusive: boolean): number {
  return invoice.lines.reduce(
    (sum, line) => sum + line.taxes.reduce((s, t) => s + (t.inclusive === inclusive ? t.amount : 0), 0),
    0,
  )
}

/** After discounts, plus exclusive taxes; inclusive taxes are already in the amounts (SB-78). */
export function total(invoice: InvoiceRecord): number {
  return (
    subtotal(invoice) -
    invoice.lines.reduce((sum, line) => sum + line.discountAmounts.reduce((s, d) => s + d.amount, 0), 0) +
    taxSum(invoice, false)
  )
}

/** Whether any line carries tax: what credit notes do not model yet (SB-78). */
export function isTaxed(invoice: InvoiceRecord): boolean {
  return invoice.lines.some((line) => line.taxes.length > 0)
}

export function renderTax(tax: LineTax): Wire<Stripe.InvoiceLineItem.Tax> {
  // A rate made by hand gives no taxability reason Stripe documents: `not_available` (ours, SB-78).
  return {
    amount: tax.amount,
    tax_behavior: tax.inclusive ? 'inclusive' : 'exclusive',
    tax_rate_details: {tax_rate: tax.rate},
    taxability_reason: 'not_available',
    taxable_amount: tax.taxableAmount,
    type: 'tax_rate_details',
  }
}

/** Invoice-level taxes, one entry per rate, summed over the lines (SB-78). */
export function totalTaxes(invoice: InvoiceRecord): Array<Wire<Stripe.Invoice.TotalTax>> {
  const byRate = new Map<string, LineTax>()
  for (const line of invoice.lines) {
    for (const tax of line.taxes) {
      const sum = byRate.get(tax.rate)
      byRate.set(
        tax.rate,
        sum
          ? {...sum, amount: sum.amount + tax.amount, taxableAmount: sum.taxableAmount + tax.taxableAmount}
          : {...tax},
      )
    }
  }
  return [...byRate.values()].map(renderTax)
}

/** What is charged: the total plus any balance, never below zero (SB-37), less pre-payment credit notes (SB-74). */
export function amountDue(invoice: InvoiceRecord): number {
  return Math.max(0, total(invoice) + invoice.startingBalance) - invoice.prePaymentCredit
}
