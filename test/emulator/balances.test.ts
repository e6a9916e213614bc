import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {useFreshEmulators} from '../helpers/emulator.js'
import {sdk} from './sdk.js'

const start = useFreshEmulators()

/** A one-off invoice of `amount` for the customer, finalized and then paid with the customer's default card. */
async function oneOffInvoice(stripe: Stripe, customer: string, amount: number): Promise<Stripe.Invoice> {
  await stripe.invoiceItems.create({customer, amount, currency: 'usd'})
  const draft = await stripe.invoices.create({customer, pending_invoice_items_behavior: 'include'})
  const open = await stripe.invoices.finalizeInvoice(draft.id)
  return stripe.invoices.pay(open.id)
}

describe("the account's default currency (SB-K3)", () => {
  it('an invoice and an invoice item for a customer without a currency are in usd by default', async () => {
    const stripe = sdk(await start({advanceMs: 0}))
    const customer = await stripe.customers.create({description: 'no currency'})
    expect(customer.currency).toBeNull()
    const item = await stripe.invoiceItems.create({customer: customer.id, amount: 2000})
    expect(item.currency).toBe('usd')
    const invoice = await stripe.invoices.create({customer: customer.id, pending_invoice_items_behavior: 'include'})
    expect(invoice).toMatchObject({currency: 'usd', amount_due: 2000})
  })

  it('set in-process to eur, the same requests are in eur; a customer with a currency keeps its own', async () => {
    const stripe = sdk(await start({advanceMs: 0, defaultCurrency: 'EUR'}))
    const customer = await stripe.customers.create({description: 'no currency'})
    expect((await stripe.invoices.create({customer: customer.id})).currency).toBe('eur')
    expect((await stripe.invoiceItems.create({customer: customer.id, amount: 500})).currency).toBe('eur')
    const price = await stripe.prices.create({
      currency: 'gbp',
      unit_amount: 900,
      recurring: {interval: 'month'},
      product_data: {name: 'GBP plan'},
    })
    const payer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    await stripe.subscriptions.create({customer: payer.id, items: [{price: price.id}]})
    expect((await stripe.invoices.create({customer: payer.id})).currency).toBe('gbp')
  })
})

describe('customer balance transactions, applied to the next invoices (SB-K4, SB-37)', () => {
  it('a credit adjustment lowers the next invoice; the rest carries to the one after; the ledger lists each step', async () => {
    const stripe = sdk(await start({advanceMs: 0}))
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    const credit = await stripe.customers.createBalanceTransaction(customer.id, {
      amount: -3000,
      currency: 'usd',
      description: 'Goodwill credit',
      metadata: {ticket: '42'},
    })
    expect(credit).toMatchObject({
      object: 'customer_balance_transaction',
      amount: -3000,
      currency: 'usd',
      type: 'adjustment',
      ending_balance: -3000,
      invoice: null,
      customer: customer.id,
      description: 'Goodwill credit',
      metadata: {ticket: '42'},
    })
    const after = await stripe.customers.retrieve(customer.id)
    expect(after).toMatchObject({balance: -3000, currency: 'usd'})

    // 2000 due, 3000 credit: nothing to pay, 1000 credit left.
    const first = await oneOffInvoice(stripe, customer.id, 2000)
    expect(first).toMatchObject({
      total: 2000,
      starting_balance: -3000,
      ending_balance: -1000,
      amount_due: 0,
      status: 'paid',
    })
    // 2500 due, 1000 credit: 1500 charged to the card, the balance back to 0.
    const second = await oneOffInvoice(stripe, customer.id, 2500)
    expect(second).toMatchObject({starting_balance: -1000, ending_balance: 0, amount_due: 1500, status: 'paid'})
    expect(second.amount_paid).toBe(1500)
    expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({balance: 0})

    const ledger = await stripe.customers.listBalanceTransactions(customer.id)
    expect(ledger.data.map((txn) => [txn.type, txn.amount, txn.ending_balance, txn.invoice])).toEqual([
      ['applied_to_invoice', 1000, 0, second.id],
      ['applied_to_invoice', 2000, -1000, first.id],
      ['adjustment', -3000, -3000, null],
    ])
    const forFirst = await stripe.customers.listBalanceTransactions(customer.id, {invoice: first.id})
    expect(forFirst.data.map((txn) => txn.amount)).toEqual([2000])
  })

  it('a debit adjustment is added to the next invoice', async () => {
    const stripe = sdk(await start({advanceMs: 0}))
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    await stripe.customers.createBalanceTransaction(customer.id, {amount: 700, currency: 'usd'})
    const invoice = await oneOffInvoice(stripe, customer.id, 1000)
    expect(invoice).toMatchObject({starting_balance: 700, ending_balance: 0, amount_due: 1700, amount_paid: 1700})
  })

  it("a credit note's credit_amount is a credit_note entry that the credit note names, and the next invoice uses it", async () => {
    const stripe = sdk(await start({advanceMs: 0}))
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    const paid = await oneOffInvoice(stripe, customer.id, 3000)
    const note = await stripe.creditNotes.create({invoice: paid.id, amount: 800, credit_amount: 800})
    const [entry] = (await stripe.customers.listBalanceTransactions(customer.id)).data
    expect(entry).toMatchObject({type: 'credit_note', amount: -800, ending_balance: -800, credit_note: note.id})
    expect(note.customer_balance_transaction).toBe(entry?.id)
    expect((await oneOffInvoice(stripe, customer.id, 1000)).amount_due).toBe(200)
  })

  it('retrieve and update (description and metadata only); another customer, a missing id, a mismatched currency and an unknown parameter are refused', async () => {
    const stripe = sdk(await start({advanceMs: 0}))
    const customer = await stripe.customers.create({email: 'ledger@example.com'})
    const other = await stripe.customers.create({email: 'other@example.com'})
    const txn = await stripe.customers.createBalanceTransaction(customer.id, {amount: -500, currency: 'usd'})
    expect(await stripe.customers.retrieveBalanceTransaction(customer.id, txn.id)).toEqual(txn)
    const updated = await stripe.customers.updateBalanceTransaction(customer.id, txn.id, {
      description: 'Refund for outage',
      metadata: {reason: 'outage'},
    })
    expect(updated).toMatchObject({description: 'Refund for outage', metadata: {reason: 'outage'}, amount: -500})
    await expect(stripe.customers.retrieveBalanceTransaction(other.id, txn.id)).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    })
    await expect(stripe.customers.retrieveBalanceTransaction(customer.id, 'cbtxn_missing')).rejects.toMatchObject({
      statusCode: 404,
    })
    await expect(
      stripe.customers.createBalanceTransaction(customer.id, {amount: -500, currency: 'eur'}),
    ).rejects.toMatchObject({statusCode: 501})
    await expect(
      stripe.customers.updateBalanceTransaction(customer.id, txn.id, {
        amount: 1,
      } as Stripe.CustomerUpdateBalanceTransactionParams),
    ).rejects.toMatchObject({statusCode: 400, code: 'parameter_unknown'})
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(-500)
  })
})
