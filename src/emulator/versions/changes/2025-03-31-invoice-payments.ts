import type {Account} from '../../account.js'
import {CHARGES} from '../../resources/charges.js'
import {INVOICE_PAYMENTS, paymentsOfInvoice} from '../../resources/invoice-payments.js'
import {PAYMENT_INTENTS} from '../../resources/payment-intents.js'
import type {VersionChange} from '../change.js'

/** The invoice a PaymentIntent pays, through the InvoicePayment that points at it. */
function invoiceOfIntent(account: Account, intent: string): string | null {
  for (const payment of account.store.of(INVOICE_PAYMENTS).values())
    if (payment.paymentIntent === intent) return payment.invoice
  return null
}

/**
 * Before basil an invoice names its PaymentIntent and Charge (`payment_intent`, `charge`) and says
 * `paid` / `paid_out_of_band` (and `application_fee_amount`, `transfer_data`); PaymentIntents and Charges name their `invoice`. Basil replaced
 * these with the invoice's `payments` (InvoicePayments) and added `amount_overpaid` (SB-V11).
 */
export const invoicePayments: VersionChange = {
  version: '2025-03-31.basil',
  name: 'invoice-payments',
  rule: 'SB-V11',
  down: {
    invoice(invoice, ctx) {
      const id = invoice.id as string
      const payment = paymentsOfInvoice(ctx.account, id).sort((a, b) => b.seq - a.seq)[0]
      const intent = payment ? ctx.account.store.of(PAYMENT_INTENTS).get(payment.paymentIntent) : undefined
      invoice.payment_intent = intent?.id ?? null
      invoice.charge = intent?.latestCharge ?? null
      invoice.paid = invoice.status === 'paid'
      // Paid without a payment of its own: marked paid, or settled by credit or balance.
      invoice.paid_out_of_band =
        invoice.status === 'paid' && payment?.status !== 'paid' && Number(invoice.amount_due) > 0
      // Connect fees and transfers are not modelled: none on any invoice.
      invoice.application_fee_amount = null
      invoice.transfer_data = null
      delete invoice.amount_overpaid
    },
    payment_intent(intent, ctx) {
      intent.invoice = invoiceOfIntent(ctx.account, intent.id as string)
    },
    charge(charge, ctx) {
      const intent = ctx.account.store.of(CHARGES).get(charge.id as string)?.paymentIntent
      charge.invoice = intent ? invoiceOfIntent(ctx.account, intent) : null
    },
  },
}
