/** Changing a subscription's items: by update, by /v1/subscription_items and by a schedule's phase. */
import {type Account} from '../../account.js'
import {invalid, ApiError, missing, notModelled} from '../../errors.js'
import {type Raw, oneOf, int, objectArray, checkNested, optStr, str, bool, mergeMetadata} from '../../params.js'
import {COMMON, type RouteContext} from '../../resource.js'
import {type InvoiceRecord} from '../invoices/record.js'
import {type PriceRecord, isMetered, recurringPrice} from '../prices.js'
import {assertClockWritable} from '../test-clocks.js'
import {type SubscriptionRecord, type SubscriptionItemRecord, SUBSCRIPTIONS, BY_ITEM, priceOf} from './record.js'
import {changing} from './render.js'
import {
  billNow,
  cadence,
  periodAmount,
  creditUnusedTime,
  restartPeriod,
  type ProrationSpec,
  addProrations,
  invoiceSubscription,
} from './billing.js'
import {ITEM_KNOWN, sameCadence} from './parameters.js'

/** A canceled subscription takes only metadata and cancellation_details (SB-62); an incomplete one only what creates no invoice (SB-29). */
export function assertUpdatable(sub: SubscriptionRecord, keys: string[]): void {
  if (
    (sub.status === 'canceled' || sub.status === 'incomplete_expired') &&
    keys.some((key) => key !== 'metadata' && key !== 'cancellation_details')
  )
    throw invalid('A canceled subscription can only update its cancellation_details and metadata.')
  if (
    sub.status === 'incomplete' &&
    keys.some((key) => !['metadata', 'description', 'default_payment_method'].includes(key))
  )
    throw invalid(
      'An incomplete subscription can only update attributes that create no invoice: metadata, description, default payment method.',
    )
}

export function findItem(
  account: Account,
  itemId: string,
): {sub: SubscriptionRecord; item: SubscriptionItemRecord} | undefined {
  const sub = account.store.of(SUBSCRIPTIONS).get(account.store.index(BY_ITEM).ids(itemId)[0] ?? '')
  const item = sub?.items.find((it) => it.id === itemId)
  return sub && item ? {sub, item} : undefined
}

export function subscriptionOfItem(
  account: Account,
  itemId: string,
  param = 'id',
): {sub: SubscriptionRecord; item: SubscriptionItemRecord} {
  const found = findItem(account, itemId)
  if (!found)
    throw new ApiError(
      404,
      'invalid_request_error',
      `No such subscription item: '${itemId}'`,
      'resource_missing',
      param,
    )
  return found
}

/**
 * One item added, changed or deleted through /v1/subscription_items: the same rules as `items[]`
 * on the subscription (SB-30, SB-41..SB-46).
 */
export function changeOneItem(account: Account, sub: SubscriptionRecord, change: ItemChange, params: Raw): void {
  assertClockWritable(account, sub.testClock)
  // A metered item's quantity is its usage (SB-U11).
  const target = change.price ?? (change.existing && priceOf(account, change.existing.price))
  if (change.quantity !== undefined && target && isMetered(target))
    throw invalid('Quantity should not be specified where usage_type is `metered`.', 'quantity')
  assertUpdatable(
    sub,
    Object.keys(params).filter((key) => key !== 'expand' && key !== 'subscription'),
  )
  const now = account.nowFor(sub.testClock)
  const proration =
    params.proration_behavior === undefined
      ? 'create_prorations'
      : oneOf(params.proration_behavior, 'proration_behavior', ['create_prorations', 'always_invoice', 'none'] as const)
  const prorationDate = params.proration_date === undefined ? now : int(params.proration_date, 'proration_date')
  if (prorationDate < sub.periodStart || prorationDate > sub.periodEnd)
    throw invalid('proration_date must be within the current billing period.', 'proration_date')
  if (params.payment_behavior !== undefined && params.payment_behavior !== 'allow_incomplete')
    throw notModelled(`payment_behavior=${params.payment_behavior as string} on an item change`) // an enum in the spec
  if (change.price && change.price.currency !== sub.currency)
    throw invalid('All prices on a subscription must have the same currency.', 'price')
  const next = itemsAfter(account, sub, [change], now)
  if (sameBilling(next, sub.items)) return changing(account, sub, () => void (sub.items = next)) // item metadata only
  const invoice = changeItems(account, sub, next, proration, prorationDate, now)
  if (invoice) billNow(account, invoice, now)
}

/** Whether two item lists bill the same: same items, prices and quantities. */
export function sameBilling(a: SubscriptionItemRecord[], b: SubscriptionItemRecord[]): boolean {
  const key = (items: SubscriptionItemRecord[]) =>
    JSON.stringify(items.map(({id, price, quantity}) => [id, price, quantity]))
  return key(a) === key(b)
}

export const UPDATE_HANDLED = [
  ...COMMON,
  'items',
  'default_payment_method',
  'metadata',
  'description',
  'proration_behavior',
  'proration_date',
  'payment_behavior',
  'collection_method',
  'days_until_due',
  'cancel_at_period_end',
  'cancel_at',
  'cancellation_details',
  'payment_settings',
  'off_session',
  'trial_end',
  'trial_from_plan',
  'discounts',
  'pause_collection',
  'billing_cycle_anchor',
] as const

export interface ItemChange {
  existing: SubscriptionItemRecord | undefined
  price: PriceRecord | undefined
  quantity: number | undefined
  deleted: boolean
  metadata: unknown
}

export function parseItemChanges(ctx: RouteContext, sub: SubscriptionRecord, endpoint: string): ItemChange[] {
  const rawItems = ctx.params.items === undefined ? [] : objectArray(ctx.params.items, 'items')
  return rawItems.map((raw, index) => {
    const item = checkNested(
      raw,
      `items[${index}]`,
      ITEM_KNOWN,
      ['id', 'price', 'quantity', 'metadata', 'deleted'],
      endpoint,
    )
    const id = optStr(item.id, `items[${index}][id]`) ?? undefined
    const existing = id ? sub.items.find((it) => it.id === id) : undefined
    if (id && !existing) throw missing('subscription item', id, `items[${index}][id]`)
    const price =
      item.price === undefined
        ? undefined
        : recurringPrice(ctx.account, str(item.price, `items[${index}][price]`), `items[${index}][price]`)
    if (!existing && !price)
      throw new ApiError(
        400,
        'invalid_request_error',
        `Missing required param: items[${index}][price].`,
        'parameter_missing',
        `items[${index}][price]`,
      )
    if (price && price.currency !== sub.currency)
      throw invalid('All prices on a subscription must have the same currency.', `items[${index}][price]`)
    // A metered item's quantity is its usage (SB-U11).
    const target = price ?? (existing && priceOf(ctx.account, existing.price))
    if (item.quantity !== undefined && target && isMetered(target))
      throw invalid('Quantity should not be specified where usage_type is `metered`.', `items[${index}][quantity]`)
    return {
      existing,
      price,
      quantity: item.quantity === undefined ? undefined : int(item.quantity, `items[${index}][quantity]`),
      deleted: item.deleted === undefined ? false : bool(item.deleted, `items[${index}][deleted]`),
      metadata: item.metadata,
    }
  })
}

/** The items after the changes: by id replaces, a new price without quantity resets it to 1, no id adds (SB-30). */
export function itemsAfter(
  account: Account,
  sub: SubscriptionRecord,
  changes: ItemChange[],
  now: number,
): SubscriptionItemRecord[] {
  let next = sub.items.map((item) => ({...item}))
  for (const change of changes) {
    if (change.existing) {
      const target = next.find((it) => it.id === change.existing?.id)
      if (!target) continue
      if (change.deleted) {
        next = next.filter((it) => it !== target)
        continue
      }
      if (change.price && change.price.id !== target.price) target.quantity = change.quantity ?? 1
      else if (change.quantity !== undefined) target.quantity = change.quantity
      if (change.price) target.price = change.price.id
      target.metadata = mergeMetadata(target.metadata, change.metadata)
    } else if (change.price) {
      if (next.some((it) => it.price === change.price?.id))
        throw invalid('Cannot add multiple subscription items with the same price.', 'items')
      // A new item has no rates of its own: the subscription's defaults apply (SB-78).
      next.push({
        id: account.newId('si_', 14),
        created: now,
        price: change.price.id,
        quantity: change.quantity ?? 1,
        metadata: mergeMetadata({}, change.metadata),
        taxRates: null,
      })
      account.store.index(BY_ITEM).add(next.at(-1)!.id, sub.id)
    }
  }
  if (next.length === 0) throw invalid('A subscription must have at least one active plan.', 'items')
  sameCadence(
    account,
    next.map((item) => priceOf(account, item.price)),
  )
  return next
}

/**
 * An item change (SB-41..SB-46). A change of interval, or from free to paid, credits the unused
 * time (unless proration_behavior=none), resets the anchor and bills the new period at once.
 * Otherwise `create_prorations` leaves credit and debit items for the next invoice,
 * `always_invoice` bills them now, and `none` changes the items alone.
 */
export function changeItems(
  account: Account,
  sub: SubscriptionRecord,
  next: SubscriptionItemRecord[],
  proration: string,
  prorationDate: number,
  now: number,
): InvoiceRecord | undefined {
  const before = sub.items
  const oldCadence = cadence(account, sub)
  const newCadence = cadence(account, {items: next})
  const intervalChanged =
    oldCadence.interval !== newCadence.interval || oldCadence.intervalCount !== newCadence.intervalCount
  const freeToPaid = periodAmount(account, before) === 0 && periodAmount(account, next) > 0
  if (sub.status === 'trialing') {
    // Nothing was billed during the trial, so nothing is prorated; the trial keeps its end.
    if (intervalChanged) throw notModelled('changing the billing interval during a trial')
    changing(account, sub, () => (sub.items = next))
    return undefined
  }
  if (sub.status !== 'active' && sub.status !== 'past_due')
    throw notModelled(`item changes on a ${sub.status} subscription`)
  if (proration !== 'none' && sub.cancelAt !== null)
    throw notModelled('prorations on a subscription with a scheduled cancellation')
  if (intervalChanged || freeToPaid) {
    if (proration !== 'none') creditUnusedTime(account, sub, prorationDate, before)
    changing(account, sub, () => (sub.items = next))
    return restartPeriod(account, sub, now, 'subscription_update')
  }
  if (proration !== 'none') {
    const specs: ProrationSpec[] = []
    for (const item of next) {
      const old = before.find((it) => it.id === item.id)
      if (old?.price === item.price && old.quantity === item.quantity) continue
      if (old) specs.push({item: old, price: old.price, quantity: old.quantity, sign: -1})
      specs.push({item, price: item.price, quantity: item.quantity, sign: 1})
    }
    for (const old of before)
      if (!next.some((it) => it.id === old.id))
        specs.push({item: old, price: old.price, quantity: old.quantity, sign: -1})
    addProrations(account, sub, prorationDate, specs)
  }
  // Usage before a metered item's price change is not billed at the new price (SB-U11).
  for (const item of next) {
    const old = before.find((it) => it.id === item.id)
    if (
      old &&
      old.price !== item.price &&
      (isMetered(priceOf(account, old.price)) || isMetered(priceOf(account, item.price)))
    )
      item.usageSince = now
  }
  changing(account, sub, () => (sub.items = next))
  if (proration === 'always_invoice')
    return changing(account, sub, () => invoiceSubscription(account, sub, 'subscription_update', now, []))
  return undefined
}

/** A subscription schedule's phase start (SB-S3): the items become the phase's, prorated as the phase says. */
export function applyScheduledItems(
  account: Account,
  sub: SubscriptionRecord,
  items: Array<{price: string; quantity: number}>,
  proration: 'create_prorations' | 'none',
  at: number,
): void {
  // An item whose price stays keeps its id; the others are re-priced in order, then added or deleted (our choice).
  const kept = sub.items.filter((item) => items.some((wanted) => wanted.price === item.price))
  const freed = sub.items.filter((item) => !kept.includes(item))
  const added = items.filter((wanted) => !sub.items.some((item) => item.price === wanted.price))
  const changes: ItemChange[] = [
    ...kept.map((item) => ({
      existing: item,
      price: undefined,
      quantity: items.find((wanted) => wanted.price === item.price)!.quantity,
      deleted: false,
      metadata: undefined,
    })),
    ...freed.map((item, i) => ({
      existing: item,
      price: added[i] && priceOf(account, added[i].price),
      quantity: added[i]?.quantity,
      deleted: !added[i],
      metadata: undefined,
    })),
    ...added.slice(freed.length).map((wanted) => ({
      existing: undefined,
      price: priceOf(account, wanted.price),
      quantity: wanted.quantity,
      deleted: false,
      metadata: undefined,
    })),
  ]
  const next = itemsAfter(account, sub, changes, at)
  if (sameBilling(next, sub.items)) return
  const invoice = changeItems(account, sub, next, proration, at, at)
  if (invoice) billNow(account, invoice, at)
}
