import {ApiError, type ClockRecord, type Engine, type Metadata, type PriceRecord, type ProductRecord, type SubscriptionRecord, notModelled} from './engine.js'
import {type Raw, bool, checkNested, checkParams, int, invalid, mergeMetadata, objectArray, optStr, required, str, strArray} from './params.js'
import {type ApiObject, renderClock, renderCustomer, renderInvoice, renderPaymentMethod, renderPrice, renderProduct, renderSubscription} from './render.js'
import type {Interval} from '../billing-time.js'

export interface RouteContext {
  engine: Engine
  params: Raw
  path: string
  ids: string[]
  /** Wall-clock ms an advance takes, given how many clocks are advancing now (#6). */
  advanceDurationMs: (concurrent: number) => number
  onAdvance: (clock: ClockRecord, durationMs: number) => void
  failAdvance: (clock: ClockRecord) => boolean
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE'
  pattern: RegExp
  handle: (ctx: RouteContext) => ApiObject
}

const ID = '([^/]+)'
const route = (method: Route['method'], path: string, handle: Route['handle']): Route => ({method, pattern: new RegExp(`^${path.replaceAll(':id', ID)}$`), handle})
const COMMON = ['expand'] as const

// ── lists: newest first, with Stripe's cursor pagination ──────────────────────

interface Listed {
  id: string
  created: number
  seq: number
}

function list<T extends Listed>(ctx: RouteContext, items: Iterable<T>, render: (item: T) => ApiObject): ApiObject {
  const limit = ctx.params.limit === undefined ? 10 : int(ctx.params.limit, 'limit', 1)
  if (limit > 100) throw invalid('This value must be less than or equal to 100.', 'limit')
  const sorted = [...items].sort((a, b) => b.created - a.created || b.seq - a.seq)
  const positionOf = (param: 'starting_after' | 'ending_before') => {
    const id = str(ctx.params[param], param)
    const at = sorted.findIndex((item) => item.id === id)
    if (at < 0) throw new ApiError(404, 'invalid_request_error', `No such object: '${id}'`, 'resource_missing', param)
    return at
  }
  if (ctx.params.ending_before !== undefined) {
    // The page just before the cursor, still newest first.
    const end = positionOf('ending_before')
    const start = Math.max(0, end - limit)
    return {object: 'list', data: sorted.slice(start, end).map(render), has_more: start > 0, url: ctx.path}
  }
  const start = ctx.params.starting_after === undefined ? 0 : positionOf('starting_after') + 1
  return {object: 'list', data: sorted.slice(start, start + limit).map(render), has_more: start + limit < sorted.length, url: ctx.path}
}

function* filter<T>(items: Iterable<T>, keep: (item: T) => boolean): Iterable<T> {
  for (const item of items) if (keep(item)) yield item
}

// ── test clocks ───────────────────────────────────────────────────────────────

const clockRoutes: Route[] = [
  route('POST', '/v1/test_helpers/test_clocks', (ctx) => {
    checkParams(ctx.params, 'TestClockCreateParams', [...COMMON, 'frozen_time', 'name'], 'POST /v1/test_helpers/test_clocks')
    const clock: ClockRecord = {
      id: ctx.engine.newId('clock_'),
      created: ctx.engine.wallSeconds(),
      name: optStr(ctx.params.name, 'name') ?? null,
      frozenTime: int(required(ctx.params, 'frozen_time'), 'frozen_time'),
      status: 'ready',
      failNextAdvance: false,
      seq: ctx.engine.nextSeq(),
    }
    ctx.engine.clocks.set(clock.id, clock)
    return renderClock(clock)
  }),
  route('GET', '/v1/test_helpers/test_clocks/:id', (ctx) => {
    checkParams(ctx.params, 'TestClockRetrieveParams', COMMON, 'GET /v1/test_helpers/test_clocks/{id}')
    return renderClock(clockOf(ctx))
  }),
  route('GET', '/v1/test_helpers/test_clocks', (ctx) => {
    // Only pagination: no filter by name or status (#8).
    checkParams(ctx.params, 'TestClockListParams', [...COMMON, 'limit', 'starting_after', 'ending_before'], 'GET /v1/test_helpers/test_clocks')
    return list(ctx, ctx.engine.clocks.values(), renderClock)
  }),
  route('DELETE', '/v1/test_helpers/test_clocks/:id', (ctx) => {
    checkParams(ctx.params, 'TestClockDeleteParams', [], 'DELETE /v1/test_helpers/test_clocks/{id}')
    const clock = clockOf(ctx)
    if (clock.status === 'advancing') ctx.engine.assertClockWritable(clock.id)
    ctx.engine.deleteClock(clock)
    return {id: clock.id, object: 'test_helpers.test_clock', deleted: true}
  }),
  route('POST', '/v1/test_helpers/test_clocks/:id/advance', (ctx) => {
    checkParams(ctx.params, 'TestClockAdvanceParams', [...COMMON, 'frozen_time'], 'POST /v1/test_helpers/test_clocks/{id}/advance')
    const clock = clockOf(ctx)
    const target = int(required(ctx.params, 'frozen_time'), 'frozen_time')
    if (clock.status === 'internal_failure') throw new ApiError(400, 'invalid_request_error', `Test clock ${clock.id} is in internal_failure and cannot be advanced.`, undefined, 'frozen_time')
    if (clock.status === 'advancing') ctx.engine.assertClockWritable(clock.id)
    // A clock only moves forward (#1).
    if (target <= clock.frozenTime) throw invalid(`The frozen_time must be after the test clock's current frozen_time (${clock.frozenTime}).`, 'frozen_time')
    const limit = ctx.engine.maxAdvanceTarget(clock)
    if (target > limit) {
      throw invalid(`Cannot advance test clock ${clock.id} more than two intervals of its shortest subscription (to ${limit} at the most).`, 'frozen_time')
    }
    const advancing = ctx.engine.advancing.size
    ctx.engine.advancing.add(clock.id)
    clock.status = 'advancing'
    clock.targetFrozenTime = target
    const duration = ctx.advanceDurationMs(advancing)
    clock.readyAt = ctx.engine.options.wallNow() + duration
    clock.failNextAdvance = ctx.failAdvance(clock)
    ctx.onAdvance(clock, duration)
    return renderClock(clock)
  }),
]

function clockOf(ctx: RouteContext): ClockRecord {
  return ctx.engine.get(ctx.engine.clocks, ctx.ids[0] ?? '', 'test clock')
}

/** Completes every advance whose time has come: billing first, then `ready` (or `internal_failure`). */
export function settleClocks(engine: Engine): void {
  if (engine.advancing.size === 0) return
  const now = engine.options.wallNow()
  const due = [...engine.advancing]
    .map((id) => engine.clocks.get(id))
    .filter((clock): clock is ClockRecord => clock !== undefined && (clock.readyAt ?? 0) <= now)
    .sort((a, b) => (a.readyAt ?? 0) - (b.readyAt ?? 0))
  for (const clock of due) {
    engine.advancing.delete(clock.id)
    if (clock.failNextAdvance) {
      clock.status = 'internal_failure'
    } else {
      engine.runClockTo(clock, clock.targetFrozenTime ?? clock.frozenTime)
      clock.status = 'ready'
    }
    delete clock.targetFrozenTime
    delete clock.readyAt
  }
}

// ── products and prices ───────────────────────────────────────────────────────

const productRoutes: Route[] = [
  route('POST', '/v1/products', (ctx) => {
    checkParams(ctx.params, 'ProductCreateParams', [...COMMON, 'id', 'name', 'description', 'metadata', 'active', 'unit_label', 'statement_descriptor', 'images', 'url', 'shippable', 'tax_code'], 'POST /v1/products')
    return renderProduct(
      addProduct(ctx.engine, ctx.params, {
        id: optStr(ctx.params.id, 'id') ?? undefined,
        name: str(required(ctx.params, 'name'), 'name'),
        description: optStr(ctx.params.description, 'description') ?? null,
      }),
    )
  }),
  route('GET', '/v1/products/:id', (ctx) => {
    checkParams(ctx.params, 'ProductRetrieveParams', COMMON, 'GET /v1/products/{id}')
    return renderProduct(ctx.engine.get(ctx.engine.products, ctx.ids[0] ?? '', 'product'))
  }),
  route('POST', '/v1/products/:id', (ctx) => {
    checkParams(ctx.params, 'ProductUpdateParams', [...COMMON, 'name', 'description', 'metadata', 'active', 'unit_label', 'statement_descriptor', 'images', 'url', 'shippable', 'tax_code'], 'POST /v1/products/{id}')
    const product = ctx.engine.get(ctx.engine.products, ctx.ids[0] ?? '', 'product')
    if (ctx.params.name !== undefined) product.name = str(ctx.params.name, 'name')
    if (ctx.params.description !== undefined) product.description = optStr(ctx.params.description, 'description') ?? null
    if (ctx.params.active !== undefined) product.active = bool(ctx.params.active, 'active')
    if (ctx.params.unit_label !== undefined) product.unitLabel = optStr(ctx.params.unit_label, 'unit_label') ?? null
    product.metadata = mergeMetadata(product.metadata, ctx.params.metadata)
    product.updated = ctx.engine.wallSeconds()
    return renderProduct(product)
  }),
  route('GET', '/v1/products', (ctx) => {
    checkParams(ctx.params, 'ProductListParams', [...COMMON, 'active', 'ids', 'limit', 'starting_after', 'ending_before'], 'GET /v1/products')
    const active = ctx.params.active === undefined ? undefined : bool(ctx.params.active, 'active')
    const ids = new Set(strArray(ctx.params.ids, 'ids'))
    return list(ctx, filter(ctx.engine.products.values(), (p) => (active === undefined || p.active === active) && (ids.size === 0 || ids.has(p.id))), renderProduct)
  }),
]

const priceRoutes: Route[] = [
  route('POST', '/v1/prices', (ctx) => {
    checkParams(ctx.params, 'PriceCreateParams', [...COMMON, 'currency', 'unit_amount', 'product', 'product_data', 'recurring', 'lookup_key', 'transfer_lookup_key', 'nickname', 'metadata', 'active', 'billing_scheme', 'tax_behavior'], 'POST /v1/prices')
    const {engine, params} = ctx
    if (params.billing_scheme !== undefined && params.billing_scheme !== 'per_unit') throw notModelled(`billing_scheme=${String(params.billing_scheme)}`)
    if (params.tax_behavior !== undefined && params.tax_behavior !== 'unspecified') throw notModelled(`tax_behavior=${String(params.tax_behavior)}`)
    let productId: string
    if (params.product !== undefined && params.product_data !== undefined) throw invalid('You may only specify one of these parameters: product, product_data.', 'product')
    if (params.product_data !== undefined) {
      const data = checkNested(params.product_data, 'product_data', ['active', 'id', 'metadata', 'name', 'statement_descriptor', 'tax_code', 'tax_details', 'unit_label'], ['active', 'id', 'metadata', 'name', 'statement_descriptor', 'unit_label'], 'POST /v1/prices')
      productId = addProduct(engine, data, {id: optStr(data.id, 'product_data[id]') ?? undefined, name: str(required(data, 'name'), 'product_data[name]'), description: null}, 'product_data[').id
    } else {
      productId = str(required(params, 'product'), 'product')
      engine.get(engine.products, productId, 'product', 'product')
    }
    let recurring: PriceRecord['recurring'] = null
    if (params.recurring !== undefined) {
      const r = checkNested(params.recurring, 'recurring', ['interval', 'interval_count', 'meter', 'trial_period_days', 'usage_type'], ['interval', 'interval_count', 'usage_type'], 'POST /v1/prices')
      const interval = str(required(r, 'interval'), 'recurring[interval]')
      if (!['day', 'week', 'month', 'year'].includes(interval)) throw invalid(`Invalid recurring[interval]: must be one of day, week, month, or year`, 'recurring[interval]')
      if (r.usage_type !== undefined && r.usage_type !== 'licensed') throw notModelled(`recurring[usage_type]=${String(r.usage_type)}`)
      recurring = {interval: interval as Interval, intervalCount: r.interval_count === undefined ? 1 : int(r.interval_count, 'recurring[interval_count]', 1)}
    }
    const lookupKey = optStr(params.lookup_key, 'lookup_key') ?? null
    if (lookupKey) claimLookupKey(engine, lookupKey, params.transfer_lookup_key === undefined ? false : bool(params.transfer_lookup_key, 'transfer_lookup_key'))
    const price: PriceRecord = {
      id: engine.newId('price_'),
      created: engine.wallSeconds(),
      product: productId,
      currency: str(required(params, 'currency'), 'currency').toLowerCase(),
      unitAmount: int(required(params, 'unit_amount'), 'unit_amount'),
      recurring,
      lookupKey,
      active: params.active === undefined ? true : bool(params.active, 'active'),
      nickname: optStr(params.nickname, 'nickname') ?? null,
      metadata: mergeMetadata({}, params.metadata),
      seq: engine.nextSeq(),
    }
    engine.prices.set(price.id, price)
    return renderPrice(price)
  }),
  route('GET', '/v1/prices/:id', (ctx) => {
    checkParams(ctx.params, 'PriceRetrieveParams', COMMON, 'GET /v1/prices/{id}')
    return renderPrice(ctx.engine.get(ctx.engine.prices, ctx.ids[0] ?? '', 'price'))
  }),
  route('POST', '/v1/prices/:id', (ctx) => {
    checkParams(ctx.params, 'PriceUpdateParams', [...COMMON, 'active', 'lookup_key', 'transfer_lookup_key', 'metadata', 'nickname', 'tax_behavior'], 'POST /v1/prices/{id}')
    const price = ctx.engine.get(ctx.engine.prices, ctx.ids[0] ?? '', 'price')
    if (ctx.params.tax_behavior !== undefined) throw notModelled('changing tax_behavior')
    if (ctx.params.active !== undefined) price.active = bool(ctx.params.active, 'active')
    if (ctx.params.nickname !== undefined) price.nickname = optStr(ctx.params.nickname, 'nickname') ?? null
    if (ctx.params.lookup_key !== undefined) {
      const key = optStr(ctx.params.lookup_key, 'lookup_key') ?? null
      if (key && key !== price.lookupKey) claimLookupKey(ctx.engine, key, ctx.params.transfer_lookup_key === undefined ? false : bool(ctx.params.transfer_lookup_key, 'transfer_lookup_key'))
      price.lookupKey = key
    }
    price.metadata = mergeMetadata(price.metadata, ctx.params.metadata)
    return renderPrice(price)
  }),
  route('GET', '/v1/prices', (ctx) => {
    checkParams(ctx.params, 'PriceListParams', [...COMMON, 'active', 'currency', 'lookup_keys', 'product', 'type', 'limit', 'starting_after', 'ending_before'], 'GET /v1/prices')
    const p = ctx.params
    const lookupKeys = new Set(strArray(p.lookup_keys, 'lookup_keys'))
    if (lookupKeys.size > 10) throw invalid('You may only specify up to 10 lookup keys.', 'lookup_keys') // (#34)
    const active = p.active === undefined ? undefined : bool(p.active, 'active')
    return list(
      ctx,
      filter(ctx.engine.prices.values(), (price) =>
        (active === undefined || price.active === active) &&
        (lookupKeys.size === 0 || (price.lookupKey !== null && lookupKeys.has(price.lookupKey))) &&
        (p.product === undefined || price.product === p.product) &&
        (p.currency === undefined || price.currency === p.currency) &&
        (p.type === undefined || (p.type === 'recurring') === (price.recurring !== null)),
      ),
      renderPrice,
    )
  }),
]

/** Creates a product from `products.create` or a price's `product_data` (`prefix` names the nested params). */
function addProduct(engine: Engine, raw: Raw, fields: {id?: string; name: string; description: string | null}, prefix = ''): ProductRecord {
  const param = (name: string) => (prefix ? `${prefix}${name}]` : name)
  const id = fields.id ?? engine.newId('prod_', 14)
  if (engine.products.has(id)) throw new ApiError(400, 'invalid_request_error', 'Product already exists.', 'resource_already_exists', param('id'))
  const now = engine.wallSeconds()
  const product: ProductRecord = {
    id,
    created: now,
    updated: now,
    name: fields.name,
    description: fields.description,
    active: raw.active === undefined ? true : bool(raw.active, param('active')),
    metadata: mergeMetadata({}, raw.metadata),
    unitLabel: optStr(raw.unit_label, param('unit_label')) ?? null,
    defaultPrice: null,
    seq: engine.nextSeq(),
  }
  engine.products.set(id, product)
  return product
}

/** A lookup key names one price at a time; `transfer_lookup_key` moves it (#34). */
function claimLookupKey(engine: Engine, key: string, transfer: boolean): void {
  for (const other of engine.prices.values()) {
    if (other.lookupKey !== key) continue
    if (!transfer) throw invalid(`A price (\`${other.id}\`) already uses that lookup key.`, 'lookup_key')
    other.lookupKey = null
  }
}

// ── customers and payment methods ────────────────────────────────────────────

const CUSTOMER_FIELDS = ['email', 'name', 'description', 'phone', 'metadata', 'invoice_settings', 'payment_method', 'address', 'preferred_locales', 'shipping', 'tax_exempt'] as const

function invoiceSettingsDefault(ctx: RouteContext, endpoint: string): string | null | undefined {
  if (ctx.params.invoice_settings === undefined) return undefined
  const settings = checkNested(ctx.params.invoice_settings, 'invoice_settings', ['custom_fields', 'default_payment_method', 'footer', 'rendering_options'], ['default_payment_method'], endpoint)
  return optStr(settings.default_payment_method, 'invoice_settings[default_payment_method]')
}

const customerRoutes: Route[] = [
  route('POST', '/v1/customers', (ctx) => {
    const endpoint = 'POST /v1/customers'
    checkParams(ctx.params, 'CustomerCreateParams', [...COMMON, ...CUSTOMER_FIELDS, 'test_clock'], endpoint)
    const {engine, params} = ctx
    const defaultPm = invoiceSettingsDefault(ctx, endpoint)
    // Validate the card before the customer exists, so a declined card creates nothing.
    const pmToken = optStr(params.payment_method, 'payment_method') ?? undefined
    if (pmToken) engine.createPaymentMethodFromToken(pmToken, 'payment_method')
    // A customer joins a clock only here (#9), at most 3 per clock (#4).
    const customer = engine.addCustomer({
      email: optStr(params.email, 'email') ?? null,
      name: optStr(params.name, 'name') ?? null,
      description: optStr(params.description, 'description') ?? null,
      phone: optStr(params.phone, 'phone') ?? null,
      metadata: mergeMetadata({}, params.metadata),
      testClock: optStr(params.test_clock, 'test_clock') ?? null,
      defaultPaymentMethod: null,
    })
    let attached: string | undefined
    if (pmToken) attached = engine.attachPaymentMethod(pmToken, customer.id).id
    if (defaultPm) {
      // The token named in both places is the one card just attached (#23).
      customer.defaultPaymentMethod = defaultPm === pmToken && attached ? attached : engine.resolveCustomerPaymentMethod(customer, defaultPm, 'invoice_settings[default_payment_method]')
    }
    return renderCustomer(customer)
  }),
  route('GET', '/v1/customers/:id', (ctx) => {
    checkParams(ctx.params, 'CustomerRetrieveParams', COMMON, 'GET /v1/customers/{id}')
    return renderCustomer(ctx.engine.get(ctx.engine.customers, ctx.ids[0] ?? '', 'customer'))
  }),
  route('POST', '/v1/customers/:id', (ctx) => {
    const endpoint = 'POST /v1/customers/{id}'
    // `test_clock` is not a parameter of update (#9), so it is refused as unknown.
    checkParams(ctx.params, 'CustomerUpdateParams', [...COMMON, ...CUSTOMER_FIELDS.filter((f) => f !== 'payment_method')], endpoint)
    const customer = ctx.engine.get(ctx.engine.customers, ctx.ids[0] ?? '', 'customer')
    ctx.engine.assertClockWritable(customer.testClock)
    const p = ctx.params
    const defaultPm = invoiceSettingsDefault(ctx, endpoint)
    if (defaultPm !== undefined) customer.defaultPaymentMethod = defaultPm === null ? null : ctx.engine.resolveCustomerPaymentMethod(customer, defaultPm, 'invoice_settings[default_payment_method]')
    if (p.email !== undefined) customer.email = optStr(p.email, 'email') ?? null
    if (p.name !== undefined) customer.name = optStr(p.name, 'name') ?? null
    if (p.description !== undefined) customer.description = optStr(p.description, 'description') ?? null
    if (p.phone !== undefined) customer.phone = optStr(p.phone, 'phone') ?? null
    customer.metadata = mergeMetadata(customer.metadata, p.metadata)
    return renderCustomer(customer)
  }),
  route('GET', '/v1/customers', (ctx) => {
    checkParams(ctx.params, 'CustomerListParams', [...COMMON, 'email', 'test_clock', 'limit', 'starting_after', 'ending_before'], 'GET /v1/customers')
    const clock = ctx.params.test_clock === undefined ? null : str(ctx.params.test_clock, 'test_clock')
    const email = ctx.params.email === undefined ? undefined : str(ctx.params.email, 'email')
    // Listing trap: customers on a test clock are left out unless test_clock is given (#10).
    // A clock's own index, not a scan of the account: a run lists every clock every month.
    const candidates = clock ? ctx.engine.customersOnClock(clock) : ctx.engine.customers.values()
    return list(ctx, filter(candidates, (c) => c.testClock === clock && (email === undefined || c.email === email)), renderCustomer)
  }),
  route('DELETE', '/v1/customers/:id', () => {
    throw notModelled('deleting a customer (delete its test clock instead)')
  }),
  route('GET', '/v1/customers/:id/payment_methods', (ctx) => {
    checkParams(ctx.params, 'CustomerListPaymentMethodsParams', [...COMMON, 'type', 'limit', 'starting_after', 'ending_before'], 'GET /v1/customers/{id}/payment_methods')
    const customer = ctx.engine.get(ctx.engine.customers, ctx.ids[0] ?? '', 'customer')
    return list(ctx, filter(ctx.engine.paymentMethods.values(), (pm) => pm.customer === customer.id), renderPaymentMethod)
  }),
]

const paymentMethodRoutes: Route[] = [
  route('POST', '/v1/payment_methods', (ctx) => {
    checkParams(ctx.params, 'PaymentMethodCreateParams', [...COMMON, 'type', 'card', 'metadata', 'billing_details'], 'POST /v1/payment_methods')
    const card = ctx.params.card
    if (typeof card === 'object' && card !== null && 'number' in card) {
      // Raw card numbers are refused unless raw card data APIs are enabled on the account (#26).
      throw new ApiError(402, 'card_error', 'Sending credit card numbers directly to the Stripe API is generally unsafe. To continue processing use Stripe.js, the Stripe mobile bindings, or Stripe Elements. To enable raw card data APIs in test mode, see https://support.stripe.com/questions/enabling-access-to-raw-card-data-apis.', 'card_declined', 'card[number]')
    }
    throw notModelled('creating payment methods other than through the pm_card_* test tokens (attach pm_card_visa to a customer instead)')
  }),
  route('GET', '/v1/payment_methods/:id', (ctx) => {
    checkParams(ctx.params, 'PaymentMethodRetrieveParams', COMMON, 'GET /v1/payment_methods/{id}')
    return renderPaymentMethod(ctx.engine.get(ctx.engine.paymentMethods, ctx.ids[0] ?? '', 'PaymentMethod'))
  }),
  route('POST', '/v1/payment_methods/:id/attach', (ctx) => {
    checkParams(ctx.params, 'PaymentMethodAttachParams', [...COMMON, 'customer'], 'POST /v1/payment_methods/{id}/attach')
    return renderPaymentMethod(ctx.engine.attachPaymentMethod(ctx.ids[0] ?? '', str(required(ctx.params, 'customer'), 'customer'), 'payment_method'))
  }),
  route('POST', '/v1/payment_methods/:id/detach', (ctx) => {
    checkParams(ctx.params, 'PaymentMethodDetachParams', COMMON, 'POST /v1/payment_methods/{id}/detach')
    const pm = ctx.engine.get(ctx.engine.paymentMethods, ctx.ids[0] ?? '', 'PaymentMethod')
    if (!pm.customer) throw invalid('The payment method you provided is not attached to a customer so detachment is impossible.')
    const customer = ctx.engine.customers.get(pm.customer)
    if (customer) {
      ctx.engine.assertClockWritable(customer.testClock)
      if (customer.defaultPaymentMethod === pm.id) customer.defaultPaymentMethod = null
    }
    pm.customer = null
    return renderPaymentMethod(pm)
  }),
  route('GET', '/v1/payment_methods', (ctx) => {
    checkParams(ctx.params, 'PaymentMethodListParams', [...COMMON, 'customer', 'type', 'limit', 'starting_after', 'ending_before'], 'GET /v1/payment_methods')
    const customer = ctx.params.customer === undefined ? undefined : str(ctx.params.customer, 'customer')
    return list(ctx, filter(ctx.engine.paymentMethods.values(), (pm) => (customer === undefined || pm.customer === customer) && pm.customer !== null), renderPaymentMethod)
  }),
]

// ── subscriptions and invoices ───────────────────────────────────────────────

const ITEM_KNOWN = ['billing_thresholds', 'clear_usage', 'deleted', 'discounts', 'id', 'metadata', 'plan', 'price', 'price_data', 'quantity', 'tax_rates'] as const

function priceFor(ctx: RouteContext, id: string, param: string): PriceRecord {
  const price = ctx.engine.get(ctx.engine.prices, id, 'price', param)
  if (!price.recurring) throw invalid(`The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`, param)
  if (!price.active) throw invalid(`The price specified is inactive. This field only accepts active prices.`, param)
  return price
}

function checkBillingOptions(params: Raw, endpoint: string): void {
  if (params.collection_method !== undefined && params.collection_method !== 'charge_automatically') throw notModelled(`collection_method=${String(params.collection_method)} on ${endpoint}`)
  if (params.payment_behavior !== undefined && params.payment_behavior !== 'allow_incomplete' && params.payment_behavior !== 'error_if_incomplete') {
    throw notModelled(`payment_behavior=${String(params.payment_behavior)} on ${endpoint}`)
  }
  if (params.payment_settings !== undefined) {
    // Cards only: `payment_settings[payment_method_types][]=card` changes nothing here.
    const settings = checkNested(params.payment_settings, 'payment_settings', ['payment_method_options', 'payment_method_types', 'save_default_payment_method'], ['payment_method_types', 'save_default_payment_method'], endpoint)
    const types = strArray(settings.payment_method_types, 'payment_settings[payment_method_types]')
    if (types.some((type) => type !== 'card')) throw notModelled(`payment method types other than card on ${endpoint}`)
  }
}

function subscriptionOf(ctx: RouteContext): SubscriptionRecord {
  return ctx.engine.get(ctx.engine.subscriptions, ctx.ids[0] ?? '', 'subscription')
}

const SUB_HANDLED_COMMON = [...COMMON, 'items', 'default_payment_method', 'metadata', 'description', 'proration_behavior', 'payment_behavior', 'collection_method', 'cancel_at_period_end', 'payment_settings', 'off_session'] as const

const subscriptionRoutes: Route[] = [
  route('POST', '/v1/subscriptions', (ctx) => {
    const endpoint = 'POST /v1/subscriptions'
    checkParams(ctx.params, 'SubscriptionCreateParams', [...SUB_HANDLED_COMMON, 'customer', 'currency'], endpoint)
    const {engine, params} = ctx
    checkBillingOptions(params, endpoint)
    const customer = engine.get(engine.customers, str(required(params, 'customer'), 'customer'), 'customer', 'customer')
    engine.assertClockWritable(customer.testClock)
    const items = objectArray(required(params, 'items'), 'items').map((raw, index) => {
      const item = checkNested(raw, `items[${index}]`, ITEM_KNOWN.filter((k) => k !== 'id' && k !== 'deleted' && k !== 'clear_usage'), ['price', 'quantity', 'metadata', 'plan'], endpoint)
      const priceId = str(item.price ?? item.plan ?? required(item, 'price'), `items[${index}][price]`)
      return {price: priceFor(ctx, priceId, `items[${index}][price]`), quantity: item.quantity === undefined ? 1 : int(item.quantity, `items[${index}][quantity]`), metadata: mergeMetadata({}, item.metadata)}
    })
    if (new Set(items.map((item) => item.price.id)).size !== items.length) throw invalid('Cannot add multiple subscription items with the same price.', 'items')
    if (new Set(items.map((item) => item.price.currency)).size > 1) throw invalid('All prices on a subscription must have the same currency.', 'items')
    if (new Set(items.map((item) => `${item.price.recurring?.interval}/${item.price.recurring?.intervalCount}`)).size > 1) throw notModelled('subscriptions mixing billing intervals')
    const defaultPm = optStr(params.default_payment_method, 'default_payment_method')
    const sub = engine.addSubscription({
      customer,
      items,
      defaultPaymentMethod: defaultPm ? engine.resolveCustomerPaymentMethod(customer, defaultPm, 'default_payment_method') : null,
      metadata: mergeMetadata({}, params.metadata),
      description: optStr(params.description, 'description') ?? null,
      cancelAtPeriodEnd: params.cancel_at_period_end === undefined ? false : bool(params.cancel_at_period_end, 'cancel_at_period_end'),
    })
    return renderSubscription(engine, sub)
  }),
  route('GET', '/v1/subscriptions/:id', (ctx) => {
    checkParams(ctx.params, 'SubscriptionRetrieveParams', COMMON, 'GET /v1/subscriptions/{id}')
    return renderSubscription(ctx.engine, subscriptionOf(ctx))
  }),
  route('POST', '/v1/subscriptions/:id', (ctx) => {
    const endpoint = 'POST /v1/subscriptions/{id}'
    checkParams(ctx.params, 'SubscriptionUpdateParams', SUB_HANDLED_COMMON, endpoint)
    const {engine, params} = ctx
    const sub = subscriptionOf(ctx)
    engine.assertClockWritable(sub.testClock)
    checkBillingOptions(params, endpoint)
    if (sub.status === 'canceled') {
      const allowed = new Set(['metadata', 'expand', 'cancellation_details'])
      if (Object.keys(params).some((key) => !allowed.has(key))) throw invalid('A canceled subscription can only update its cancellation_details and metadata.')
    }
    const customer = engine.get(engine.customers, sub.customer, 'customer')
    const rawItems = params.items === undefined ? [] : objectArray(params.items, 'items')
    const proration = params.proration_behavior === undefined ? undefined : str(params.proration_behavior, 'proration_behavior')
    if (proration !== undefined && !['none', 'create_prorations', 'always_invoice'].includes(proration)) throw invalid(`Invalid proration_behavior: ${proration}`, 'proration_behavior')
    // Validate every item before changing anything.
    const changes = rawItems.map((raw, index) => {
      const item = checkNested(raw, `items[${index}]`, ITEM_KNOWN, ['id', 'price', 'quantity', 'metadata', 'deleted'], endpoint)
      const id = optStr(item.id, `items[${index}][id]`) ?? undefined
      const existing = id ? sub.items.find((it) => it.id === id) : undefined
      if (id && !existing) throw new ApiError(400, 'invalid_request_error', `No such subscription item: '${id}'`, 'resource_missing', `items[${index}][id]`)
      const price = item.price === undefined ? undefined : priceFor(ctx, str(item.price, `items[${index}][price]`), `items[${index}][price]`)
      if (!existing && !price) throw new ApiError(400, 'invalid_request_error', `Missing required param: items[${index}][price].`, 'parameter_missing', `items[${index}][price]`)
      if (price && price.currency !== sub.currency) throw invalid('All prices on a subscription must have the same currency.', `items[${index}][price]`)
      return {
        existing,
        price,
        quantity: item.quantity === undefined ? undefined : int(item.quantity, `items[${index}][quantity]`),
        deleted: item.deleted === undefined ? false : bool(item.deleted, `items[${index}][deleted]`),
        metadata: item.metadata,
      }
    })
    const itemsChanged = changes.some((c) => c.deleted || !c.existing || (c.price && c.price.id !== c.existing.price) || (c.quantity !== undefined && c.quantity !== c.existing.quantity))
    engine.changeItems(
      sub,
      () => {
        const now = engine.nowFor(sub.testClock)
        for (const change of changes) {
          if (change.existing) {
            if (change.deleted) {
              sub.items = sub.items.filter((it) => it !== change.existing)
              continue
            }
            // Changing the price without a quantity resets the quantity to 1 (#28).
            if (change.price && change.price.id !== change.existing.price) change.existing.quantity = change.quantity ?? 1
            else if (change.quantity !== undefined) change.existing.quantity = change.quantity
            if (change.price) change.existing.price = change.price.id
            change.existing.metadata = mergeMetadata(change.existing.metadata, change.metadata)
          } else if (change.price) {
            // An item without `id` is added beside the existing ones (#28).
            if (sub.items.some((it) => it.price === change.price?.id)) throw invalid('Cannot add multiple subscription items with the same price.', 'items')
            sub.items.push({id: engine.newId('si_', 14), created: now, price: change.price.id, quantity: change.quantity ?? 1, metadata: mergeMetadata({}, change.metadata)})
          }
        }
        if (sub.items.length === 0) throw invalid('A subscription must have at least one active plan.', 'items')
      },
      proration,
      itemsChanged,
    )
    if (params.default_payment_method !== undefined) {
      const pm = optStr(params.default_payment_method, 'default_payment_method')
      sub.defaultPaymentMethod = pm ? engine.resolveCustomerPaymentMethod(customer, pm, 'default_payment_method') : null
    }
    if (params.cancel_at_period_end !== undefined) sub.cancelAtPeriodEnd = bool(params.cancel_at_period_end, 'cancel_at_period_end')
    if (params.description !== undefined) sub.description = optStr(params.description, 'description') ?? null
    sub.metadata = mergeMetadata(sub.metadata, params.metadata)
    return renderSubscription(engine, sub)
  }),
  route('DELETE', '/v1/subscriptions/:id', (ctx) => {
    // subscriptions.cancel (#22, #30): cancels now.
    checkParams(ctx.params, 'SubscriptionCancelParams', [...COMMON, 'cancellation_details', 'invoice_now', 'prorate'], 'DELETE /v1/subscriptions/{id}')
    const sub = subscriptionOf(ctx)
    ctx.engine.assertClockWritable(sub.testClock)
    if (ctx.params.invoice_now !== undefined && bool(ctx.params.invoice_now, 'invoice_now')) throw notModelled('invoice_now=true when canceling')
    if (ctx.params.prorate !== undefined && bool(ctx.params.prorate, 'prorate')) throw notModelled('prorate=true when canceling')
    if (sub.status === 'canceled') throw new ApiError(404, 'invalid_request_error', `No such subscription: '${sub.id}'`, 'resource_missing', 'id')
    ctx.engine.cancelSubscription(sub, ctx.engine.nowFor(sub.testClock), 'cancellation_requested')
    return renderSubscription(ctx.engine, sub)
  }),
  route('GET', '/v1/subscriptions', (ctx) => {
    checkParams(ctx.params, 'SubscriptionListParams', [...COMMON, 'customer', 'price', 'plan', 'status', 'test_clock', 'collection_method', 'limit', 'starting_after', 'ending_before'], 'GET /v1/subscriptions')
    const p = ctx.params
    const status = p.status === undefined ? undefined : str(p.status, 'status')
    const statuses = ['active', 'all', 'canceled', 'ended', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid']
    if (status !== undefined && !statuses.includes(status)) throw invalid(`Invalid status: must be one of ${statuses.join(', ')}`, 'status')
    const clock = p.test_clock === undefined ? null : str(p.test_clock, 'test_clock')
    const price = p.price ?? p.plan
    return list(
      ctx,
      filter(clock ? ctx.engine.subscriptionsOnClock(clock) : ctx.engine.subscriptions.values(), (sub) =>
        // Listing trap: subscriptions on a test clock are left out unless test_clock is given (#10).
        sub.testClock === clock &&
        (p.customer === undefined || sub.customer === p.customer) &&
        (price === undefined || sub.items.some((item) => item.price === price)) &&
        // By default Stripe lists every subscription that is not canceled.
        (status === undefined ? sub.status !== 'canceled' : status === 'all' || (status === 'ended' ? sub.status === 'canceled' : sub.status === status)),
      ),
      (sub) => renderSubscription(ctx.engine, sub),
    )
  }),
]

const invoiceRoutes: Route[] = [
  route('GET', '/v1/invoices/:id', (ctx) => {
    checkParams(ctx.params, 'InvoiceRetrieveParams', COMMON, 'GET /v1/invoices/{id}')
    return renderInvoice(ctx.engine, ctx.engine.get(ctx.engine.invoices, ctx.ids[0] ?? '', 'invoice'))
  }),
  route('GET', '/v1/invoices', (ctx) => {
    checkParams(ctx.params, 'InvoiceListParams', [...COMMON, 'customer', 'subscription', 'status', 'collection_method', 'limit', 'starting_after', 'ending_before'], 'GET /v1/invoices')
    const p = ctx.params
    return list(
      ctx,
      filter(ctx.engine.invoices.values(), (inv) => (p.customer === undefined || inv.customer === p.customer) && (p.subscription === undefined || inv.subscription === p.subscription) && (p.status === undefined || inv.status === p.status)),
      (inv) => renderInvoice(ctx.engine, inv),
    )
  }),
]

export const ROUTES: Route[] = [...clockRoutes, ...productRoutes, ...priceRoutes, ...customerRoutes, ...paymentMethodRoutes, ...subscriptionRoutes, ...invoiceRoutes]

export type {Metadata}
