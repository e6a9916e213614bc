import type Stripe from 'stripe'
import type {Account} from '../account.js'
import {ApiError, notModelled} from '../errors.js'
import {
  bool,
  checkNested,
  currency as parseCurrency,
  checkParams,
  int,
  mergeMetadata,
  optStr,
  required,
  str,
} from '../params.js'
import {COMMON, PAGINATION, type Resource, filter, list, route, updating} from '../resource.js'
import {PRICES, type PriceRecord, billingPeriod, livePrice, renderPlan} from './prices.js'
import {PRODUCTS, addProduct} from './products.js'
import type {Wire} from '../wire.js'

/** A plan is the legacy view of a recurring price: the same record, the same id (SB-76). */
function planOf(account: Account, id: string): PriceRecord {
  const price = livePrice(account, id)
  if (!price.recurring)
    throw new ApiError(404, 'invalid_request_error', `No such plan: '${id}'`, 'resource_missing', 'id')
  return price
}

export const plans: Resource = {
  object: 'plan',
  // A plan_ id is also a price id: owning no prefix, expansion tries prices first and a `price` field expands to a price.
  idPrefixes: [],
  render: (account, id) => {
    const price = account.store.of(PRICES).get(id)
    return price?.recurring && !price.deleted ? renderPlan(price) : undefined
  },
  documentedParams: {
    file: 'Plans.d.ts',
    interfaces: ['PlanCreateParams', 'PlanRetrieveParams', 'PlanUpdateParams', 'PlanListParams', 'PlanDeleteParams'],
  },
  routes: [
    route('POST', '/v1/plans', (ctx) => {
      checkParams(
        ctx.params,
        'PlanCreateParams',
        [
          ...COMMON,
          'currency',
          'interval',
          'interval_count',
          'amount',
          'product',
          'id',
          'nickname',
          'active',
          'metadata',
          'billing_scheme',
          'usage_type',
        ],
        'POST /v1/plans',
      )
      const {account, params: p} = ctx
      if (p.billing_scheme !== undefined && p.billing_scheme !== 'per_unit')
        throw notModelled(`billing_scheme=${p.billing_scheme as string}`) // checkParams held it to the spec's enum
      if (p.usage_type !== undefined && p.usage_type !== 'licensed')
        throw notModelled(`usage_type=${p.usage_type as string}`)
      const recurring = billingPeriod(required(p, 'interval'), p.interval_count, {
        interval: 'interval',
        count: 'interval_count',
      })
      const currency = parseCurrency(required(p, 'currency'), 'currency')
      const amount = int(required(p, 'amount'), 'amount')
      // `product` is an existing product's id, or a new product's fields (SN23 PlanCreateParams).
      const product = required(p, 'product')
      let productId: string
      if (typeof product === 'string') productId = account.store.of(PRODUCTS).require(product, 'product').id
      else {
        const data = checkNested(
          product,
          'product',
          ['active', 'id', 'metadata', 'name', 'statement_descriptor', 'tax_code', 'tax_details', 'unit_label'],
          ['active', 'id', 'metadata', 'name', 'statement_descriptor', 'unit_label'],
          'POST /v1/plans',
        )
        productId = addProduct(
          account,
          data,
          {
            id: optStr(data.id, 'product[id]') ?? undefined,
            name: str(required(data, 'name'), 'product[name]'),
            description: null,
          },
          'product[',
        ).id
      }
      // A plan made here has a plan_ id unless named; either is also a price id (SB-76).
      const id = optStr(p.id, 'id') ?? account.newId('plan_')
      if (account.store.of(PRICES).has(id))
        throw new ApiError(400, 'invalid_request_error', 'Plan already exists.', 'resource_already_exists', 'id')
      const price: PriceRecord = {
        id,
        created: account.wallSeconds(),
        product: productId,
        currency,
        unitAmount: amount,
        recurring,
        lookupKey: null,
        active: p.active === undefined ? true : bool(p.active, 'active'),
        nickname: optStr(p.nickname, 'nickname') ?? null,
        metadata: mergeMetadata({}, p.metadata),
        seq: account.nextSeq(),
      }
      account.store.of(PRICES).set(price.id, price)
      account.emit('plan.created', () => renderPlan(price), null)
      return renderPlan(price)
    }),
    route('GET', '/v1/plans/:id', (ctx) => {
      checkParams(ctx.params, 'PlanRetrieveParams', COMMON, 'GET /v1/plans/{id}')
      return renderPlan(planOf(ctx.account, ctx.ids[0] ?? ''))
    }),
    route('POST', '/v1/plans/:id', (ctx) => {
      // Id, amount, currency and billing period never change (SB-76).
      checkParams(ctx.params, 'PlanUpdateParams', [...COMMON, 'active', 'metadata', 'nickname'], 'POST /v1/plans/{id}')
      const {account, params: p} = ctx
      const price = planOf(account, ctx.ids[0] ?? '')
      updating(
        account,
        'plan.updated',
        null,
        () => renderPlan(price),
        () => {
          if (p.active !== undefined) price.active = bool(p.active, 'active')
          if (p.nickname !== undefined) price.nickname = optStr(p.nickname, 'nickname') ?? null
          price.metadata = mergeMetadata(price.metadata, p.metadata)
        },
      )
      return renderPlan(price)
    }),
    route('DELETE', '/v1/plans/:id', (ctx) => {
      checkParams(ctx.params, 'PlanDeleteParams', [], 'DELETE /v1/plans/{id}')
      const {account} = ctx
      const price = planOf(account, ctx.ids[0] ?? '')
      // New subscriptions can no longer use it; existing ones keep billing it (SB-76).
      price.deleted = true
      account.emit('plan.deleted', () => renderPlan(price), null)
      return {id: price.id, object: 'plan', deleted: true} satisfies Wire<Stripe.DeletedPlan>
    }),
    route('GET', '/v1/plans', (ctx) => {
      checkParams(ctx.params, 'PlanListParams', [...COMMON, 'active', 'product', ...PAGINATION], 'GET /v1/plans')
      const p = ctx.params
      const active = p.active === undefined ? undefined : bool(p.active, 'active')
      return list(
        ctx,
        filter(
          ctx.account.store.of(PRICES).values(),
          (price) =>
            price.recurring !== null &&
            !price.deleted &&
            (active === undefined || price.active === active) &&
            (p.product === undefined || price.product === p.product),
        ),
        renderPlan,
      )
    }),
  ],
}
