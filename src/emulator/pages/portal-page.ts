import type {Account} from '../account.js'
import {internalListAll, internalRequest} from '../dispatch.js'
import {ApiError, invalid} from '../errors.js'
import type {ApiObject} from '../resource.js'
import {
  PORTAL_CONFIGURATIONS,
  PORTAL_SESSIONS,
  type PortalConfigurationRecord,
  type PortalSessionRecord,
} from '../resources/billing-portal.js'
import {type PageResponse, cardFields, day, escape, money, page, redirect} from './html.js'
import {TEST_CARDS, readCard} from './test-cards.js'

interface Portal {
  session: PortalSessionRecord
  config: PortalConfigurationRecord
  customer: ApiObject
}

const ENDED = new Set(['canceled', 'incomplete_expired'])

interface SubscriptionItem {
  id: string
  quantity: number
  current_period_end: number
  price: {id: string; product: string; unit_amount: number; currency: string; recurring: {interval: string} | null}
}

function itemsOf(subscription: ApiObject): SubscriptionItem[] {
  return (subscription.items as {data: SubscriptionItem[]}).data
}

function productName(account: Account, product: string): string {
  return String(internalRequest(account, 'GET', `/v1/products/${product}`).name)
}

function priceLabel(account: Account, price: SubscriptionItem['price']): string {
  const every = price.recurring ? ` / ${price.recurring.interval}` : ''
  return `${productName(account, price.product)}: ${money(price.unit_amount, price.currency)}${every}`
}

/** The prices the configuration lets a customer switch to (SB-P9). */
function allowedPrices(portal: Portal): Set<string> {
  const update = portal.config.features.subscriptionUpdate
  return new Set(update.enabled ? update.products.flatMap((entry) => entry.prices) : [])
}

function subscriptionSection(account: Account, portal: Portal, subscription: ApiObject): string {
  const [item] = itemsOf(subscription)
  if (!item) return ''
  const {features} = portal.config
  const status = String(subscription.status)
  const canceling = subscription.cancel_at_period_end === true || subscription.cancel_at !== null
  const periodEnd = item.current_period_end
  const lines = [
    `<p><strong>${escape(priceLabel(account, item.price))}</strong>${item.quantity > 1 ? ` × ${item.quantity}` : ''}</p>`,
    `<p class="muted" data-testid="subscription-status">Status: ${escape(status)}${
      status === 'trialing' && typeof subscription.trial_end === 'number'
        ? `, trial ends ${escape(day(subscription.trial_end))}`
        : ''
    }${canceling ? `; cancels ${escape(day(Number(subscription.cancel_at ?? periodEnd)))}` : `; renews ${escape(day(periodEnd))}`}</p>`,
  ]
  const prices = [...allowedPrices(portal)].filter((price) => price !== item.price.id)
  if (prices.length > 0 && !canceling) {
    const choices = prices
      .map((id, index) => {
        const price = internalRequest(account, 'GET', `/v1/prices/${id}`) as unknown as SubscriptionItem['price']
        return `<div class="choice"><input type="radio" id="price-${index}" name="price" value="${escape(id)}"${index === 0 ? ' checked' : ''}><label for="price-${index}">${escape(priceLabel(account, price))}</label></div>`
      })
      .join('\n')
    lines.push(`<form method="post" action="/portal/${escape(portal.session.id)}">
<input type="hidden" name="action" value="switch"><input type="hidden" name="subscription" value="${escape(subscription.id)}">
<fieldset><legend>Switch plan</legend>${choices}</fieldset>
<button type="submit">Update plan</button>
</form>`)
  }
  if (features.subscriptionCancel.enabled) {
    const hidden = `<input type="hidden" name="subscription" value="${escape(subscription.id)}">`
    lines.push(
      canceling
        ? `<form method="post" action="/portal/${escape(portal.session.id)}"><input type="hidden" name="action" value="renew">${hidden}<button type="submit">Renew subscription</button></form>`
        : `<form method="post" action="/portal/${escape(portal.session.id)}"><input type="hidden" name="action" value="cancel">${hidden}<button type="submit" class="secondary">${
            features.subscriptionCancel.mode === 'immediately' ? 'Cancel subscription now' : 'Cancel at end of period'
          }</button></form>`,
    )
  }
  return `<section aria-label="Subscription ${escape(subscription.id)}"><h2>Current plan</h2>${lines.join('\n')}</section>`
}

function paymentSection(account: Account, portal: Portal, subscriptions: ApiObject[], error?: string): string {
  if (!portal.config.features.paymentMethodUpdate) return ''
  const settings = portal.customer.invoice_settings as {default_payment_method: string | null}
  const id =
    settings.default_payment_method ??
    subscriptions.map((sub) => sub.default_payment_method).find((pm): pm is string => typeof pm === 'string')
  const current = id ? internalRequest(account, 'GET', `/v1/payment_methods/${id}`) : undefined
  const card = current?.card as {brand: string; last4: string} | undefined
  const hints = TEST_CARDS.filter((test) => !test.decline)
    .map((test) => `<code>${test.number.replaceAll(/(\d{4})(?=\d)/g, '$1 ')}</code>`)
    .join(', ')
  return `<section><h2>Payment method</h2>
<p data-testid="payment-method">${card ? `<span class="brand">${escape(card.brand)}</span> ending in ${escape(card.last4)}` : 'None on file'}</p>
<form method="post" action="/portal/${escape(portal.session.id)}" novalidate>
<input type="hidden" name="action" value="payment_method">
${cardFields({})}
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<button type="submit">Save card</button>
<p class="hints">Test cards: ${hints}; any future expiry, any CVC.</p>
</form></section>`
}

function invoiceSection(account: Account, portal: Portal): string {
  if (!portal.config.features.invoiceHistory) return ''
  const invoices = internalRequest(account, 'GET', '/v1/invoices', {customer: portal.session.customer, limit: '24'})
    .data as ApiObject[]
  const rows = invoices
    .filter((invoice) => invoice.status !== 'draft')
    .map(
      (invoice) =>
        `<tr><td>${escape(day(Number(invoice.created)))}</td><td>${escape(invoice.number ?? '')}</td><td class="num">${money(Number(invoice.total), String(invoice.currency))}</td><td>${escape(invoice.status)}</td></tr>`,
    )
    .join('\n')
  return `<section><h2>Invoice history</h2>${
    rows
      ? `<table><thead><tr><th>Date</th><th>Number</th><th class="num">Total</th><th>Status</th></tr></thead><tbody>${rows}</tbody></table>`
      : '<p class="muted">No invoices yet.</p>'
  }</section>`
}

const NOTICES: Record<string, string> = {
  switch: 'Your plan was changed.',
  cancel: 'Your subscription was canceled.',
  cancel_at_period_end: 'Your subscription will be canceled at the end of the billing period.',
  renew: 'Your subscription will renew.',
  payment_method: 'Your payment method was updated.',
}

function portalPage(account: Account, portal: Portal, options: {notice?: string; error?: string; status?: number}) {
  const subscriptions = internalListAll(account, '/v1/subscriptions', {
    customer: portal.session.customer,
    status: 'all',
  })
  const live = subscriptions.filter((sub) => !ENDED.has(String(sub.status)))
  const returnUrl = portal.session.returnUrl
  const headline = portal.config.businessProfile.headline
  const body = `<section>
<h1>${escape(headline ?? 'Manage your billing')}</h1>
<p class="muted">${escape(portal.customer.email ?? portal.customer.name ?? portal.customer.id)}</p>
${options.notice ? `<p class="notice" role="status">${escape(options.notice)}</p>` : ''}
${options.error && !options.error.startsWith('card:') ? `<p class="error" role="alert">${escape(options.error)}</p>` : ''}
${returnUrl ? `<p><a href="${escape(returnUrl)}" id="return">Return to ${escape(new URL(returnUrl).host)}</a></p>` : ''}
</section>
${live.map((sub) => subscriptionSection(account, portal, sub)).join('\n') || '<section><h2>Current plan</h2><p class="muted">No active subscription.</p></section>'}
${paymentSection(account, portal, live, options.error?.startsWith('card:') ? options.error.slice(5) : undefined)}
${invoiceSection(account, portal)}`
  return page('Billing', body, {status: options.status ?? 200})
}

function ownSubscription(account: Account, portal: Portal, id: string | null): ApiObject {
  if (!id) throw invalid('No subscription was chosen.')
  const subscription = internalRequest(account, 'GET', `/v1/subscriptions/${id}`)
  if (subscription.customer !== portal.session.customer) throw invalid('This subscription does not belong to you.')
  return subscription
}

/** One portal action, made through the API's own routes (SB-P9). */
function act(account: Account, portal: Portal, form: URLSearchParams): void {
  const {features} = portal.config
  const action = form.get('action')
  if (action === 'switch') {
    if (!features.subscriptionUpdate.enabled) throw invalid('Plan changes are not enabled.')
    const subscription = ownSubscription(account, portal, form.get('subscription'))
    const price = form.get('price') ?? ''
    if (!allowedPrices(portal).has(price)) throw invalid('That plan is not available.')
    const [item] = itemsOf(subscription)
    internalRequest(account, 'POST', `/v1/subscriptions/${String(subscription.id)}`, {
      items: [{id: item!.id, price}],
      proration_behavior: features.subscriptionUpdate.prorationBehavior,
      // The configuration's trial_update_behavior, end_trial: a plan change ends a trial.
      ...(subscription.status === 'trialing' ? {trial_end: 'now'} : {}),
    })
    return
  }
  if (action === 'cancel' || action === 'renew') {
    if (!features.subscriptionCancel.enabled) throw invalid('Cancellation is not enabled.')
    const subscription = ownSubscription(account, portal, form.get('subscription'))
    const path = `/v1/subscriptions/${String(subscription.id)}`
    if (action === 'renew') internalRequest(account, 'POST', path, {cancel_at_period_end: 'false'})
    else if (features.subscriptionCancel.mode === 'at_period_end')
      internalRequest(account, 'POST', path, {cancel_at_period_end: 'true'})
    else {
      const proration = features.subscriptionCancel.prorationBehavior
      internalRequest(account, 'DELETE', path, {
        ...(proration === 'none' ? {} : {prorate: 'true'}),
        ...(proration === 'always_invoice' ? {invoice_now: 'true'} : {}),
      })
    }
    return
  }
  if (action === 'payment_method') {
    if (!features.paymentMethodUpdate) throw invalid('Payment method updates are not enabled.')
    const card = readCard(
      {
        number: form.get('card_number') ?? '',
        expiry: form.get('card_expiry') ?? '',
        cvc: form.get('card_cvc') ?? '',
        name: form.get('card_name') ?? '',
      },
      account.wallSeconds(),
    )
    if ('error' in card) throw invalid(`card:${card.error}`)
    if (card.card.decline) throw invalid(`card:${card.card.decline.message}`)
    const customer = portal.session.customer
    const pm = String(internalRequest(account, 'POST', `/v1/payment_methods/${card.card.token}/attach`, {customer}).id)
    internalRequest(account, 'POST', `/v1/customers/${customer}`, {invoice_settings: {default_payment_method: pm}})
    // Subscriptions that name their own card (as Checkout's do) move to the new one too.
    for (const sub of internalListAll(account, '/v1/subscriptions', {customer}))
      if (typeof sub.default_payment_method === 'string')
        internalRequest(account, 'POST', `/v1/subscriptions/${String(sub.id)}`, {default_payment_method: pm})
    return
  }
  throw invalid('Unknown action.')
}

/** GET shows the customer's billing; POST makes one change, then shows the page again with a notice. */
export function portalPageFor(
  account: Account,
  method: string,
  id: string,
  query: URLSearchParams,
  form: URLSearchParams,
): PageResponse {
  const session = account.store.of(PORTAL_SESSIONS).get(id)
  if (!session)
    return page('Not found', '<section><h1>Not found</h1><p>No such portal session.</p></section>', {status: 404})
  const portal: Portal = {
    session,
    config: account.store.of(PORTAL_CONFIGURATIONS).require(session.configuration),
    customer: internalRequest(account, 'GET', `/v1/customers/${session.customer}`),
  }
  if (method === 'GET') return portalPage(account, portal, {notice: NOTICES[query.get('done') ?? '']})
  try {
    act(account, portal, form)
  } catch (error) {
    // Refusals, unmodelled behaviour (501) included, are shown to the customer on the page.
    if (error instanceof ApiError && (error.status < 500 || error.status === 501))
      return portalPage(account, portal, {error: error.message, status: error.status})
    throw error
  }
  const action = form.get('action') ?? ''
  const done =
    action === 'cancel' && portal.config.features.subscriptionCancel.mode === 'at_period_end'
      ? 'cancel_at_period_end'
      : action
  return redirect(`/portal/${session.id}?done=${encodeURIComponent(done)}`)
}
