/** Customer sources: cards saved the legacy way, `source: tok_visa` and /v1/customers/{id}/sources (SB-K10). */
import type Stripe from 'stripe'
import type {Account} from '../account.js'
import {ApiError, invalid} from '../errors.js'
import {checkParams, int, mergeMetadata, optStr, required, str} from '../params.js'
import {type ApiObject, COMMON, PAGINATION, type Resource, list, route, updating} from '../resource.js'
import {type CustomerRecord, liveCustomer, renderCustomer} from './customers/record.js'
import {
  PAYMENT_METHODS,
  type PaymentMethodRecord,
  attachPaymentMethod,
  detach,
  paymentMethodsOf,
  renderPaymentMethod,
} from './payment-methods.js'
import {assertClockWritable} from './test-clocks.js'
import type {Wire} from '../wire.js'

const BRAND_NAMES: Record<string, string> = {
  visa: 'Visa',
  mastercard: 'MasterCard',
  amex: 'American Express',
  discover: 'Discover',
  diners: 'Diners Club',
  jcb: 'JCB',
  unionpay: 'UnionPay',
}

/** A saved card in the Card object's shape: the same card its PaymentMethod rendering describes. */
export function renderCard(pm: PaymentMethodRecord): Wire<Stripe.Card> {
  const card = renderPaymentMethod(pm).card as {exp_month: number; exp_year: number; funding: string}
  return {
    id: pm.id,
    object: 'card',
    address_city: null,
    address_country: null,
    address_line1: null,
    address_line1_check: null,
    address_line2: null,
    address_state: null,
    address_zip: null,
    address_zip_check: null,
    brand: BRAND_NAMES[pm.brand] ?? pm.brand,
    country: 'US',
    customer: pm.customer,
    cvc_check: 'pass',
    dynamic_last4: null,
    exp_month: card.exp_month,
    exp_year: card.exp_year,
    fingerprint: pm.id.slice(5, 21),
    funding: card.funding,
    last4: pm.last4,
    metadata: pm.metadata,
    name: pm.billing?.name ?? null,
    regulated_status: null,
    tokenization_method: null,
  }
}

function sourcesOf(account: Account, customerId: string): PaymentMethodRecord[] {
  return paymentMethodsOf(account, customerId).filter((pm) => pm.id.startsWith('card_'))
}

/**
 * Saves a `tok_*` card as a source of the customer (`customer.source.created`); the first one becomes
 * its `default_source`. A declining token is refused, as when a card is attached (SB-24).
 */
export function addSource(account: Account, customer: CustomerRecord, token: string, param = 'source'): ApiObject {
  // Only card tokens: Sources (`src_`) and bank accounts are not modelled.
  if (!token.startsWith('tok_'))
    throw new ApiError(400, 'invalid_request_error', `No such token: '${token}'`, 'resource_missing', param)
  const pm = attachPaymentMethod(account, token, customer, param, {source: true})
  account.emit('customer.source.created', () => renderCard(pm), customer.testClock)
  if (!customer.defaultSource)
    updating(
      account,
      'customer.updated',
      customer.testClock,
      () => renderCustomer(account, customer),
      () => (customer.defaultSource = pm.id),
    )
  return renderCard(pm)
}

function sourceOf(account: Account, customer: CustomerRecord, id: string): PaymentMethodRecord {
  const pm = account.store.of(PAYMENT_METHODS).get(id)
  if (pm?.customer !== customer.id || !pm.id.startsWith('card_'))
    throw new ApiError(
      404,
      'invalid_request_error',
      `Customer ${customer.id} does not have a source with ID ${id}.`,
      'resource_missing',
      'id',
    )
  return pm
}

export const customerSources: Resource = {
  object: 'card',
  idPrefixes: ['card_'],
  render: (account, id) => {
    const pm = account.store.of(PAYMENT_METHODS).get(id)
    return pm && renderCard(pm)
  },
  documentedParams: {
    file: 'Customers.d.ts',
    interfaces: [
      'CustomerCreateSourceParams',
      'CustomerListSourcesParams',
      'CustomerRetrieveSourceParams',
      'CustomerUpdateSourceParams',
      'CustomerDeleteSourceParams',
    ],
  },
  routes: [
    route('POST', '/v1/customers/:id/sources', (ctx) => {
      checkParams(
        ctx.params,
        'CustomerCreateSourceParams',
        [...COMMON, 'source', 'metadata'],
        'POST /v1/customers/{id}/sources',
      )
      const {account, params: p} = ctx
      const customer = liveCustomer(account, ctx.ids[0] ?? '', 'customer')
      assertClockWritable(account, customer.testClock)
      const card = addSource(account, customer, str(required(p, 'source'), 'source'))
      const pm = account.store.of(PAYMENT_METHODS).require(card.id as string)
      pm.metadata = mergeMetadata(pm.metadata, p.metadata)
      return renderCard(pm)
    }),
    route('GET', '/v1/customers/:id/sources', (ctx) => {
      checkParams(
        ctx.params,
        'CustomerListSourcesParams',
        [...COMMON, 'object', ...PAGINATION],
        'GET /v1/customers/{id}/sources',
      )
      const customer = liveCustomer(ctx.account, ctx.ids[0] ?? '', 'customer')
      const object = ctx.params.object === undefined ? undefined : str(ctx.params.object, 'object')
      // Cards are the only sources here: any other `object` lists nothing.
      const sources = object === undefined || object === 'card' ? sourcesOf(ctx.account, customer.id) : []
      return list(ctx, sources, renderCard)
    }),
    route('GET', '/v1/customers/:id/sources/:id', (ctx) => {
      checkParams(ctx.params, 'CustomerRetrieveSourceParams', COMMON, 'GET /v1/customers/{id}/sources/{id}')
      const customer = liveCustomer(ctx.account, ctx.ids[0] ?? '', 'customer')
      return renderCard(sourceOf(ctx.account, customer, ctx.ids[1] ?? ''))
    }),
    route('POST', '/v1/customers/:id/sources/:id', (ctx) => {
      checkParams(
        ctx.params,
        'CustomerUpdateSourceParams',
        [...COMMON, 'metadata', 'name', 'exp_month', 'exp_year'],
        'POST /v1/customers/{id}/sources/{id}',
      )
      const {account, params: p} = ctx
      const customer = liveCustomer(account, ctx.ids[0] ?? '', 'customer')
      assertClockWritable(account, customer.testClock)
      const pm = sourceOf(account, customer, ctx.ids[1] ?? '')
      updating(
        account,
        'customer.source.updated',
        customer.testClock,
        () => renderCard(pm),
        () => {
          pm.metadata = mergeMetadata(pm.metadata, p.metadata)
          if (p.name !== undefined)
            pm.billing = {...(pm.billing ?? {email: null, phone: null}), name: optStr(p.name, 'name') ?? null}
          if (p.exp_month !== undefined || p.exp_year !== undefined) {
            const current = renderCard(pm) as {exp_month: number; exp_year: number}
            const month = p.exp_month === undefined ? current.exp_month : int(p.exp_month, 'exp_month', 1)
            if (month > 12) throw invalid("Your card's expiration month is invalid.", 'exp_month')
            pm.expiry = {month, year: p.exp_year === undefined ? current.exp_year : int(p.exp_year, 'exp_year', 1)}
          }
        },
      )
      return renderCard(pm)
    }),
    route('DELETE', '/v1/customers/:id/sources/:id', (ctx) => {
      checkParams(ctx.params, 'CustomerDeleteSourceParams', COMMON, 'DELETE /v1/customers/{id}/sources/{id}')
      const {account} = ctx
      const customer = liveCustomer(account, ctx.ids[0] ?? '', 'customer')
      assertClockWritable(account, customer.testClock)
      const pm = sourceOf(account, customer, ctx.ids[1] ?? '')
      const last = renderCard(pm)
      detach(account, pm, {source: true})
      account.emit('customer.source.deleted', () => last, customer.testClock)
      // Which other card would become the default is not documented: the customer has none then.
      if (customer.defaultSource === pm.id)
        updating(
          account,
          'customer.updated',
          customer.testClock,
          () => renderCustomer(account, customer),
          () => (customer.defaultSource = null),
        )
      // Stripe's deleted card names no customer (docs.stripe.com/api/cards/delete).
      return {id: pm.id, object: 'card', deleted: true} satisfies Wire<Stripe.DeletedCard>
    }),
  ],
}
