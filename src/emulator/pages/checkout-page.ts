import type {Account} from '../account.js'
import {internalRequest} from '../dispatch.js'
import {ApiError} from '../errors.js'
import {
  CHECKOUT_SESSIONS,
  type CheckoutSessionRecord,
  amountsDueNow,
  completeCheckout,
  expireIfDue,
  pricedLines,
  withSessionId,
} from '../resources/checkout-sessions.js'
import {type PageResponse, cardFields, day, escape, money, page, redirect} from './html.js'
import {TEST_CARDS, readCard} from './test-cards.js'

interface Filled {
  email?: string
  promotion_code?: string
  card_number?: string
  card_expiry?: string
  card_cvc?: string
  card_name?: string
}

const DAY = 86_400

/** When the trial would end if the customer subscribed now: on their test clock's time, if any. */
function trialEnd(account: Account, session: CheckoutSessionRecord): number | null {
  const data = session.subscriptionData
  if (!data) return null
  if (data.trialEnd) return data.trialEnd
  if (!data.trialPeriodDays) return null
  const clock = session.customer
    ? internalRequest(account, 'GET', `/v1/customers/${session.customer}`).test_clock
    : null
  return account.nowFor(typeof clock === 'string' ? clock : null) + data.trialPeriodDays * DAY
}

function trialText(session: CheckoutSessionRecord): string {
  const days = session.subscriptionData?.trialPeriodDays
  return days ? `${days}-day free trial` : 'Free trial'
}

function summary(account: Account, session: CheckoutSessionRecord): string {
  if (session.mode === 'setup')
    return `<section><h1>Save a card</h1><p class="muted">Your card is saved for future payments; nothing is charged now.</p></section>`
  const lines = pricedLines(account, session)
  const due = amountsDueNow(account, session)
  const currency = session.currency ?? 'usd'
  const rows = lines
    .map((line) => {
      const recurring = line.price.recurring as {interval: string; interval_count: number} | null
      const every = recurring
        ? ` / ${recurring.interval_count > 1 ? `${recurring.interval_count} ${recurring.interval}s` : recurring.interval}`
        : ''
      return `<tr><td>${escape(line.productName)}${line.item.quantity > 1 ? ` × ${line.item.quantity}` : ''}</td><td class="num">${money(line.subtotal, currency)}${every}</td></tr>`
    })
    .join('\n')
  const discount = lines.reduce((sum, line) => sum + line.discount, 0)
  const trial = trialEnd(account, session)
  const heading =
    session.mode === 'subscription'
      ? trial
        ? `<p class="muted">${escape(trialText(session))}, then billed as below</p>`
        : `<p class="muted">Subscribe</p>`
      : `<p class="muted">Pay</p>`
  return `<section aria-labelledby="summary">
<h1 id="summary">${escape(lines.map((line) => line.productName).join(', '))}</h1>
${heading}
<p class="total" data-testid="amount-due">${money(due.total, currency)} <span class="muted">due today</span></p>
<table>
<tbody>
${rows}
${discount > 0 ? `<tr><td>Discount</td><td class="num">−${money(discount, currency)}</td></tr>` : ''}
</tbody>
</table>
${trial ? `<p class="muted">Trial ends ${escape(day(trial))}.</p>` : ''}
</section>`
}

function form(account: Account, session: CheckoutSessionRecord, filled: Filled, error?: string): string {
  const email = session.customerDetails?.email ?? session.customerEmail
  const fixedEmail = email !== null && email !== undefined
  const due = amountsDueNow(account, session)
  const action =
    session.mode === 'setup'
      ? 'Save card'
      : session.mode === 'subscription'
        ? due.total === 0
          ? 'Start trial'
          : 'Subscribe'
        : `Pay ${money(due.total, session.currency ?? 'usd')}`
  const hints = TEST_CARDS.map(
    (card) => `<li><code>${card.number.replaceAll(/(\d{4})(?=\d)/g, '$1 ')}</code> ${escape(card.label)}</li>`,
  ).join('')
  return `<form class="card" method="post" action="/checkout/${escape(session.id)}" novalidate>
<h2>Contact information</h2>
<label for="email">Email</label>
<input type="email" id="email" name="email" autocomplete="email" required ${fixedEmail ? `readonly value="${escape(email)}"` : `value="${escape(filled.email)}"`}>
${
  session.allowPromotionCodes
    ? `<label for="promotion-code">Promotion code (optional)</label>
<input type="text" id="promotion-code" name="promotion_code" autocomplete="off" value="${escape(filled.promotion_code)}">`
    : ''
}
<h2 class="spaced">Payment method</h2>
${cardFields({number: filled.card_number, expiry: filled.card_expiry, cvc: filled.card_cvc, name: filled.card_name})}
${error ? `<p class="error" role="alert" id="error">${escape(error)}</p>` : ''}
<button type="submit">${escape(action)}</button>
${session.cancelUrl ? `<p class="muted"><a href="${escape(withSessionId(session.cancelUrl, session.id))}">Cancel and go back</a></p>` : ''}
<div class="hints"><p>Test cards (any future expiry, any CVC):</p><ul>${hints}</ul></div>
</form>`
}

function checkoutPage(account: Account, session: CheckoutSessionRecord, filled: Filled, status = 200, error?: string) {
  return page('Checkout', `${summary(account, session)}\n${form(account, session, filled, error)}`, {
    status,
    layout: 'split',
    formTargets: [session.successUrl ?? '', session.cancelUrl ?? ''],
  })
}

function gone(session: CheckoutSessionRecord): PageResponse {
  const text =
    session.status === 'complete'
      ? 'This Checkout Session is already complete.'
      : 'This Checkout Session has expired. Go back and start again.'
  return page('Checkout', `<section><h1>Checkout</h1><p role="status">${escape(text)}</p></section>`, {status: 410})
}

/** GET shows the session's page; POST pays with what the form holds (SB-P6, SB-P7). */
export function checkoutPageFor(account: Account, method: string, id: string, body: URLSearchParams): PageResponse {
  const session = account.store.of(CHECKOUT_SESSIONS).get(id)
  if (!session)
    return page('Not found', '<section><h1>Not found</h1><p>No such Checkout Session.</p></section>', {status: 404})
  expireIfDue(account, session)
  if (session.status !== 'open') return gone(session)
  if (method === 'GET') return checkoutPage(account, session, {})
  const filled: Filled = Object.fromEntries(body.entries())
  const email = session.customerDetails?.email ?? session.customerEmail ?? (filled.email ?? '').trim()
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    return checkoutPage(account, session, filled, 400, 'Your email is incomplete.')
  const card = readCard(
    {
      number: filled.card_number ?? '',
      expiry: filled.card_expiry ?? '',
      cvc: filled.card_cvc ?? '',
      name: filled.card_name ?? '',
    },
    account.wallSeconds(),
  )
  if ('error' in card) return checkoutPage(account, session, filled, 400, card.error)
  // A declined card creates nothing and leaves the session open (SB-P6).
  if (card.card.decline) return checkoutPage(account, session, filled, 402, card.card.decline.message)
  try {
    completeCheckout(account, session, {
      email,
      name: (filled.card_name ?? '').trim(),
      cardToken: card.card.token,
      ...(filled.promotion_code?.trim() ? {promotionCode: filled.promotion_code.trim()} : {}),
    })
  } catch (error) {
    // Refusals, unmodelled behaviour (501) included, are shown to the customer on the page.
    if (error instanceof ApiError && (error.status < 500 || error.status === 501))
      return checkoutPage(account, session, filled, error.status, error.message)
    throw error
  }
  if (session.successUrl) return redirect(withSessionId(session.successUrl, session.id))
  return page(
    'Checkout',
    `<section><h1>Thanks</h1><p role="status">Your ${session.mode === 'setup' ? 'card is saved' : 'payment is complete'}.</p></section>`,
  )
}
