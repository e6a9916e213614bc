import {describe, expect, it} from 'vitest'

import {useEmulator} from '../../helpers/emulator.js'
import {monthlyPrice, sdk} from '../sdk.js'

// Stripe's search query language through stripe-node's search methods (SB-P10 – SB-P14).

const emulator = useEmulator()

describe('search (SB-P10 – SB-P14)', () => {
  it('customers: exact (case-insensitive), substring, metadata, negation, OR, created comparisons', async () => {
    const stripe = sdk(emulator())
    const jane = await stripe.customers.create({
      name: 'Jane Doe',
      email: 'jane@rocket.example',
      metadata: {tier: 'gold'},
    })
    const john = await stripe.customers.create({
      name: 'John Roe',
      email: 'john@other.example',
      metadata: {tier: 'free'},
    })
    const ids = async (query: string) => (await stripe.customers.search({query})).data.map((c) => c.id).sort()
    expect(await ids(`email:"JANE@rocket.example"`)).toEqual([jane.id])
    expect(await ids(`email~"rocket"`)).toEqual([jane.id])
    expect(await ids(`name:'Jane Doe' AND metadata['tier']:'gold'`)).toEqual([jane.id])
    expect(await ids(`metadata["tier"]:"gold" OR metadata["tier"]:"free"`)).toEqual([jane.id, john.id].sort())
    expect(await ids(`-metadata["tier"]:"gold" email~"example"`)).toEqual([john.id])
    expect(await ids(`-metadata["missing"]:null`)).toEqual([])
    expect(await ids(`metadata["missing"]:null AND created>=${jane.created}`)).toEqual([jane.id, john.id].sort())
    expect(await ids(`created<${jane.created}`)).toEqual([])
    const quoted = await stripe.customers.create({name: `Pat "PJ" O'Neil`})
    expect(await ids(`name:"Pat \\"PJ\\" O'Neil"`)).toEqual([quoted.id])
    expect(await ids(`name:'Pat "PJ" O\\'Neil'`)).toEqual([quoted.id])
  })

  it('pages with page/next_page, newest first, and counts with expand total_count', async () => {
    const stripe = sdk(emulator())
    const made = []
    for (let i = 0; i < 5; i++) made.push(await stripe.products.create({name: `Paged ${i}`, metadata: {batch: 'p'}}))
    const first = await stripe.products.search({query: 'metadata["batch"]:"p"', limit: 2, expand: ['total_count']})
    expect(first).toMatchObject({object: 'search_result', url: '/v1/products/search', has_more: true, total_count: 5})
    expect(first.next_page).toEqual(expect.any(String))
    const second = await stripe.products.search({query: 'metadata["batch"]:"p"', limit: 2, page: first.next_page!})
    expect(second.data).toHaveLength(2)
    const all = await stripe.products.search({query: 'metadata["batch"]:"p"', limit: 2}).autoPagingToArray({limit: 10})
    expect(all.map((p) => p.id)).toEqual(made.map((p) => p.id).reverse())
    const last = await stripe.products.search({query: 'metadata["batch"]:"p"', limit: 5})
    expect(last).toMatchObject({has_more: false, next_page: null})
    expect(second).not.toHaveProperty('total_count')
    await expect(stripe.products.search({query: 'name:"x"', page: 'garbage'})).rejects.toMatchObject({
      statusCode: 400,
      param: 'page',
    })
  })

  it('prices, subscriptions, invoices and payment intents by their documented fields', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 4200, 'Searchable')
    await stripe.prices.update(price.id, {lookup_key: 'searchable_monthly'})
    expect(
      (await stripe.prices.search({query: `lookup_key:"searchable_monthly" AND type:"recurring"`})).data,
    ).toMatchObject([{id: price.id}])
    expect(
      (await stripe.prices.search({query: `product:"${price.product as string}" active:"true"`})).data,
    ).toHaveLength(1)
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      metadata: {app: 's1'},
    })
    expect((await stripe.subscriptions.search({query: `status:"active" AND metadata["app"]:"s1"`})).data).toMatchObject(
      [{id: subscription.id}],
    )
    const invoices = await stripe.invoices.search({
      query: `customer:"${customer.id}" AND total>=4200 AND status:"paid"`,
    })
    expect(invoices.data.map((invoice) => invoice.id)).toEqual([subscription.latest_invoice])
    expect((await stripe.invoices.search({query: `subscription:"${subscription.id}"`})).data).toHaveLength(1)
    expect((await stripe.invoices.search({query: `customer:"${customer.id}" AND total>4200`})).data).toEqual([])
    const intent = await stripe.paymentIntents.create({
      amount: 999,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    expect(
      (await stripe.paymentIntents.search({query: `amount:999 AND status:"succeeded"`})).data.map((pi) => pi.id),
    ).toEqual([intent.id])
  })

  it('a query outside the language is a 400 naming what is unsupported', async () => {
    const stripe = sdk(emulator())
    const refused = async (query: string, message: RegExp) =>
      expect(stripe.customers.search({query})).rejects.toMatchObject({
        statusCode: 400,
        param: 'query',
        message: expect.stringMatching(message),
      })
    await refused('email:"a@b.c" AND name:"x" OR phone:"1"', /AND and OR/)
    await refused('(email:"a@b.c")', /parentheses/)
    await refused('balance>10', /`balance` is an unsupported search field for resource customers/)
    await refused('created~"123"', /`~` on `created`/)
    await refused('email~"ab"', /fewer than 3 characters/)
    await refused('email>3', /not numeric/)
    await refused('email:unquoted', /strings are quoted/)
    await refused(Array.from({length: 11}, (_, i) => `name:"n${i}"`).join(' OR '), /more than 10 clauses/)
    await expect(stripe.products.search({query: 'email:"x@y.z"'})).rejects.toMatchObject({statusCode: 400})
  })
})
