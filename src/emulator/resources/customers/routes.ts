/** The customers resource: create, update, delete, retrieve, list and its payment methods. */
import type Stripe from 'stripe'

import {ApiError} from '../../errors.js'
import {strArray, checkNested, optStr, checkParams, mergeMetadata, str} from '../../params.js'
import {type RouteContext, type Resource, filter, route, COMMON, updating, PAGINATION, list} from '../../resource.js'
import {
  paymentMethodFromToken,
  attachPaymentMethod,
  customerPaymentMethod,
  paymentMethodsOf,
  detach,
  renderPaymentMethod,
} from '../payment-methods.js'
import {addSource} from '../customer-sources.js'
import {
  CUSTOMER_DISCOUNT_PARAMS,
  changeCustomerDiscount,
  deleteCustomerDiscount,
  requestedCustomerDiscount,
  takesCustomerDiscountParams,
  customerDiscountEnds,
} from './discount.js'
import {subscriptionsOf} from '../subscriptions/record.js'
import {renderSubscription} from '../subscriptions/render.js'
import {CLOCKS, assertClockWritable} from '../test-clocks.js'
import {
  CUSTOMERS,
  renderCustomer,
  customersOnClock,
  BY_CLOCK,
  MAX_CUSTOMERS_PER_CLOCK,
  type CustomerRecord,
  liveCustomer,
} from './record.js'

const CUSTOMER_FIELDS = [
  'email',
  'name',
  'description',
  'phone',
  'metadata',
  'invoice_settings',
  'payment_method',
  'preferred_locales',
] as const

/** `preferred_locales`: plain data the emulator stores and shows; `''` clears it. Address, shipping and tax_exempt reach invoices and taxes, so they stay unmodelled (SB-2). */
function locales(raw: unknown): string[] {
  return raw === '' ? [] : strArray(raw, 'preferred_locales')
}

function invoiceSettingsDefault(ctx: RouteContext, endpoint: string): string | null | undefined {
  if (ctx.params.invoice_settings === undefined) return undefined
  const settings = checkNested(
    ctx.params.invoice_settings,
    'invoice_settings',
    ['custom_fields', 'default_payment_method', 'footer', 'rendering_options'],
    ['default_payment_method'],
    endpoint,
  )
  return optStr(settings.default_payment_method, 'invoice_settings[default_payment_method]')
}

/**
 * The parameters checked against Stripe's newest spec: before basil `coupon` and `promotion_code`
 * are customer parameters too (SB-V9, SB-T4), read on their own; from basil they are unknown.
 */
function ownParams(ctx: RouteContext): RouteContext['params'] {
  if (!takesCustomerDiscountParams(ctx.apiVersion)) return ctx.params
  const own = {...ctx.params}
  for (const param of CUSTOMER_DISCOUNT_PARAMS) delete own[param]
  return own
}

export const customers: Resource = {
  object: 'customer',
  idPrefixes: ['cus_'],
  render: (account, id) => {
    const customer = account.store.of(CUSTOMERS).get(id)
    return customer && renderCustomer(account, customer)
  },
  // `subscriptions` is includable: the customer's subscriptions that have not ended, only when expanded.
  includable: {
    subscriptions: (account, id) => {
      const subs = subscriptionsOf(account, id).filter(
        (sub) => sub.status !== 'canceled' && sub.status !== 'incomplete_expired',
      )
      return {
        object: 'list',
        data: subs.map((sub) => renderSubscription(account, sub)),
        has_more: false,
        total_count: subs.length,
        url: `/v1/customers/${id}/subscriptions`,
      }
    },
    // Tax ids and cash balances are not modelled: a customer has none (SB-C3).
    tax_ids: (_account, id) => ({
      object: 'list',
      data: [],
      has_more: false,
      url: `/v1/customers/${id}/tax_ids`,
    }),
    cash_balance: (_account, id) =>
      ({
        object: 'cash_balance',
        available: null,
        customer: id,
        customer_account: null,
        livemode: false,
        settings: {reconciliation_mode: 'automatic', using_merchant_default: true},
      }) satisfies Stripe.CashBalance,
    // Credit by currency: a negative balance is credit (SB-C3).
    invoice_credit_balance: (account, id) => {
      const customer = account.store.of(CUSTOMERS).get(id)
      return customer?.currency && customer.balance < 0 ? {[customer.currency]: -customer.balance} : {}
    },
  },
  documentedParams: {
    file: 'Customers.d.ts',
    interfaces: [
      'CustomerCreateParams',
      'CustomerUpdateParams',
      'CustomerListParams',
      'CustomerRetrieveParams',
      'CustomerListPaymentMethodsParams',
      'CustomerDeleteParams',
      'CustomerDeleteDiscountParams',
    ],
  },
  due: customerDiscountEnds,
  onClockDeleted: (account, clockId) => {
    for (const customer of customersOnClock(account, clockId)) account.store.of(CUSTOMERS).delete(customer.id)
    account.store.index(BY_CLOCK).drop(clockId)
  },
  routes: [
    route('POST', '/v1/customers', (ctx) => {
      const endpoint = 'POST /v1/customers'
      const {account, params} = ctx
      checkParams(
        ownParams(ctx),
        'CustomerCreateParams',
        [...COMMON, ...CUSTOMER_FIELDS, 'test_clock', 'source'],
        endpoint,
      )
      const defaultPm = invoiceSettingsDefault(ctx, endpoint)
      // Validate the card before the customer exists, so a declined card creates nothing.
      const pmToken = optStr(params.payment_method, 'payment_method') ?? undefined
      if (pmToken) paymentMethodFromToken(account, pmToken, 'payment_method')
      const testClock = optStr(params.test_clock, 'test_clock') ?? null
      const discount = takesCustomerDiscountParams(ctx.apiVersion)
        ? requestedCustomerDiscount(account, params, {id: null, testClock})
        : undefined
      if (testClock) {
        // A customer joins a clock only here (SB-16), at most 3 per clock (SB-16).
        const clock = account.store.of(CLOCKS).require(testClock, 'test_clock')
        assertClockWritable(account, clock.id)
        if (account.store.index(BY_CLOCK).size(clock.id) >= MAX_CUSTOMERS_PER_CLOCK) {
          throw new ApiError(
            400,
            'invalid_request_error',
            `Test clock ${clock.id} already has the maximum of ${MAX_CUSTOMERS_PER_CLOCK} customers.`,
            undefined,
            'test_clock',
          )
        }
      }
      const customer: CustomerRecord = {
        id: account.newId('cus_', 14),
        created: account.nowFor(testClock),
        email: optStr(params.email, 'email') ?? null,
        name: optStr(params.name, 'name') ?? null,
        description: optStr(params.description, 'description') ?? null,
        phone: optStr(params.phone, 'phone') ?? null,
        metadata: mergeMetadata({}, params.metadata),
        testClock,
        defaultPaymentMethod: null,
        currency: null,
        balance: 0,
        preferredLocales: locales(params.preferred_locales),
        delinquent: false,
        deleted: false,
        seq: account.nextSeq(),
      }
      account.store.of(CUSTOMERS).set(customer.id, customer)
      if (testClock) account.store.index(BY_CLOCK).add(testClock, customer.id)
      // The discount announces itself before the customer that holds it (SB-68).
      if (discount) changeCustomerDiscount(account, customer, discount)
      account.emit('customer.created', () => renderCustomer(account, customer), testClock)
      // `source: tok_visa` saves the card the legacy way, as the default source (SB-K10).
      if (params.source !== undefined) addSource(account, customer, str(params.source, 'source'))
      let attached: string | undefined
      if (pmToken) attached = attachPaymentMethod(account, pmToken, customer).id
      if (defaultPm) {
        // The token named in both places is the one card just attached (SB-22).
        const pm =
          defaultPm === pmToken && attached
            ? attached
            : customerPaymentMethod(account, customer, defaultPm, 'invoice_settings[default_payment_method]')
        updating(
          account,
          'customer.updated',
          testClock,
          () => renderCustomer(account, customer),
          () => (customer.defaultPaymentMethod = pm),
        )
      }
      return renderCustomer(account, customer)
    }),
    route('GET', '/v1/customers/:id', (ctx) => {
      checkParams(ctx.params, 'CustomerRetrieveParams', COMMON, 'GET /v1/customers/{id}')
      // A deleted customer can still be retrieved, in its deleted shape (SB-67).
      return renderCustomer(ctx.account, ctx.account.store.of(CUSTOMERS).require(ctx.ids[0] ?? ''))
    }),
    route('POST', '/v1/customers/:id', (ctx) => {
      const endpoint = 'POST /v1/customers/{id}'
      // `test_clock` is not a parameter of update (SB-16), so it is refused as unknown.
      checkParams(
        ownParams(ctx),
        'CustomerUpdateParams',
        [...COMMON, ...CUSTOMER_FIELDS.filter((f) => f !== 'payment_method')],
        endpoint,
      )
      const {account, params: p} = ctx
      const customer = liveCustomer(account, ctx.ids[0] ?? '')
      assertClockWritable(account, customer.testClock)
      const discount = takesCustomerDiscountParams(ctx.apiVersion)
        ? requestedCustomerDiscount(account, p, customer)
        : undefined
      const defaultPm = invoiceSettingsDefault(ctx, endpoint)
      const pm = defaultPm
        ? customerPaymentMethod(account, customer, defaultPm, 'invoice_settings[default_payment_method]')
        : defaultPm
      updating(
        account,
        'customer.updated',
        customer.testClock,
        () => renderCustomer(account, customer),
        () => {
          if (discount) changeCustomerDiscount(account, customer, discount)
          if (pm !== undefined) customer.defaultPaymentMethod = pm
          if (p.email !== undefined) customer.email = optStr(p.email, 'email') ?? null
          if (p.name !== undefined) customer.name = optStr(p.name, 'name') ?? null
          if (p.description !== undefined) customer.description = optStr(p.description, 'description') ?? null
          if (p.phone !== undefined) customer.phone = optStr(p.phone, 'phone') ?? null
          if (p.preferred_locales !== undefined) customer.preferredLocales = locales(p.preferred_locales)
          customer.metadata = mergeMetadata(customer.metadata, p.metadata)
        },
      )
      return renderCustomer(account, customer)
    }),
    route('GET', '/v1/customers', (ctx) => {
      checkParams(
        ctx.params,
        'CustomerListParams',
        [...COMMON, 'email', 'test_clock', ...PAGINATION],
        'GET /v1/customers',
      )
      const {account} = ctx
      const clock = ctx.params.test_clock === undefined ? null : str(ctx.params.test_clock, 'test_clock')
      const email = ctx.params.email === undefined ? undefined : str(ctx.params.email, 'email')
      // Listing trap: customers on a test clock are left out unless test_clock is given (SB-16).
      const candidates = clock ? customersOnClock(account, clock) : account.store.of(CUSTOMERS).values()
      return list(
        ctx,
        filter(candidates, (c) => !c.deleted && c.testClock === clock && (email === undefined || c.email === email)),
        (c) => renderCustomer(account, c),
      )
    }),
    route('DELETE', '/v1/customers/:id', (ctx) => {
      checkParams(ctx.params, 'CustomerDeleteParams', [], 'DELETE /v1/customers/{id}')
      const {account} = ctx
      const customer = liveCustomer(account, ctx.ids[0] ?? '')
      assertClockWritable(account, customer.testClock)
      // Deleting cancels its subscriptions at once (SB-67) and removes its cards.
      account.signal('customerDeleted', {customerId: customer.id})
      for (const pm of paymentMethodsOf(account, customer.id)) detach(account, pm)
      const last = renderCustomer(account, customer)
      customer.deleted = true
      account.emit('customer.deleted', () => last, customer.testClock)
      return renderCustomer(account, customer)
    }),
    route('DELETE', '/v1/customers/:id/discount', (ctx) => {
      checkParams(ctx.params, 'CustomerDeleteDiscountParams', [], 'DELETE /v1/customers/{id}/discount')
      const {account} = ctx
      const customer = liveCustomer(account, ctx.ids[0] ?? '')
      assertClockWritable(account, customer.testClock)
      return updating(
        account,
        'customer.updated',
        customer.testClock,
        () => renderCustomer(account, customer),
        () => deleteCustomerDiscount(account, customer),
      )
    }),
    route('GET', '/v1/customers/:id/payment_methods', (ctx) => {
      checkParams(
        ctx.params,
        'CustomerListPaymentMethodsParams',
        [...COMMON, 'type', ...PAGINATION],
        'GET /v1/customers/{id}/payment_methods',
      )
      const customer = ctx.account.store.of(CUSTOMERS).require(ctx.ids[0] ?? '')
      return list(
        ctx,
        filter(paymentMethodsOf(ctx.account, customer.id), (pm) => pm.customer === customer.id),
        renderPaymentMethod,
      )
    }),
  ],
}
