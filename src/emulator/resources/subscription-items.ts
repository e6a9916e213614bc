import type Stripe from 'stripe'
import {invalid} from '../errors.js'
import {bool, checkParams, int, optStr, required, str} from '../params.js'
import {COMMON, PAGINATION, type Resource, list, route} from '../resource.js'
import {recurringPrice} from './prices.js'
import {SUBSCRIPTIONS} from './subscriptions/record.js'
import {changeOneItem, findItem, subscriptionOfItem} from './subscriptions/items.js'
import {renderItem} from './subscriptions/render.js'
import type {Wire} from '../wire.js'

const HANDLED = [
  ...COMMON,
  'price',
  'plan',
  'quantity',
  'metadata',
  'proration_behavior',
  'proration_date',
  'payment_behavior',
  'off_session',
] as const

/**
 * /v1/subscription_items: a subscription's items one at a time. The subscription module owns the
 * records and the rules (SB-30, SB-41..SB-46); this module is their routes.
 */
export const subscriptionItems: Resource = {
  object: 'subscription_item',
  idPrefixes: ['si_'],
  render: (account, id) => {
    const found = findItem(account, id)
    return found && renderItem(account, found.sub, found.item)
  },
  documentedParams: {
    file: 'SubscriptionItems.d.ts',
    interfaces: [
      'SubscriptionItemCreateParams',
      'SubscriptionItemRetrieveParams',
      'SubscriptionItemUpdateParams',
      'SubscriptionItemListParams',
      'SubscriptionItemDeleteParams',
    ],
  },
  routes: [
    route('GET', '/v1/subscription_items', (ctx) => {
      checkParams(
        ctx.params,
        'SubscriptionItemListParams',
        [...COMMON, 'subscription', ...PAGINATION],
        'GET /v1/subscription_items',
      )
      const sub = ctx.account.store
        .of(SUBSCRIPTIONS)
        .require(str(required(ctx.params, 'subscription'), 'subscription'), 'subscription')
      return list(
        ctx,
        sub.items.map((item, index) => ({...item, seq: -index})),
        (item) =>
          renderItem(
            ctx.account,
            sub,
            sub.items.find((it) => it.id === item.id)!,
          ),
      )
    }),
    route('GET', '/v1/subscription_items/:id', (ctx) => {
      checkParams(ctx.params, 'SubscriptionItemRetrieveParams', COMMON, 'GET /v1/subscription_items/{id}')
      const {sub, item} = subscriptionOfItem(ctx.account, ctx.ids[0] ?? '')
      return renderItem(ctx.account, sub, item)
    }),
    route('POST', '/v1/subscription_items', (ctx) => {
      checkParams(
        ctx.params,
        'SubscriptionItemCreateParams',
        [...HANDLED, 'subscription'],
        'POST /v1/subscription_items',
      )
      const {account, params} = ctx
      const sub = account.store
        .of(SUBSCRIPTIONS)
        .require(str(required(params, 'subscription'), 'subscription'), 'subscription')
      const price = recurringPrice(
        account,
        str(params.price ?? params.plan ?? required(params, 'price'), 'price'),
        'price',
      )
      changeOneItem(
        account,
        sub,
        {
          existing: undefined,
          price,
          quantity: params.quantity === undefined ? undefined : int(params.quantity, 'quantity'),
          deleted: false,
          metadata: params.metadata,
        },
        params,
      )
      const item = sub.items.find((it) => it.price === price.id)
      if (!item) throw invalid('The item was not added.', 'price')
      return renderItem(account, sub, item)
    }),
    route('POST', '/v1/subscription_items/:id', (ctx) => {
      checkParams(ctx.params, 'SubscriptionItemUpdateParams', HANDLED, 'POST /v1/subscription_items/{id}')
      const {account, params} = ctx
      const {sub, item} = subscriptionOfItem(account, ctx.ids[0] ?? '')
      const priceId = optStr(params.price ?? params.plan, 'price')
      const price = priceId ? recurringPrice(account, priceId, 'price') : undefined
      changeOneItem(
        account,
        sub,
        {
          existing: item,
          price,
          quantity: params.quantity === undefined ? undefined : int(params.quantity, 'quantity'),
          deleted: false,
          metadata: params.metadata,
        },
        params,
      )
      return renderItem(account, sub, sub.items.find((it) => it.id === item.id) ?? item)
    }),
    route('DELETE', '/v1/subscription_items/:id', (ctx) => {
      checkParams(
        ctx.params,
        'SubscriptionItemDeleteParams',
        ['proration_behavior', 'proration_date', 'payment_behavior', 'clear_usage'],
        'DELETE /v1/subscription_items/{id}',
      )
      const {account, params} = ctx
      const {sub, item} = subscriptionOfItem(account, ctx.ids[0] ?? '')
      if (params.clear_usage !== undefined) bool(params.clear_usage, 'clear_usage')
      changeOneItem(
        account,
        sub,
        {existing: item, price: undefined, quantity: undefined, deleted: true, metadata: undefined},
        params,
      )
      return {id: item.id, object: 'subscription_item', deleted: true} satisfies Wire<Stripe.DeletedSubscriptionItem>
    }),
  ],
}
