import type {Account} from '../account.js'
import {settleClocks} from '../resources/test-clocks.js'
import {checkoutPageFor} from './checkout-page.js'
import {type PageResponse, page} from './html.js'
import {portalPageFor} from './portal-page.js'

export type {PageResponse} from './html.js'

const HOSTED = /^\/(checkout|portal)\/([^/]+)$/

/**
 * Checkout's and the portal's hosted pages (SB-P1): the customer's, so they need no API key.
 * Undefined for any other path, which the API answers.
 */
export function hostedPage(account: Account, method: string, url: URL, body: string): PageResponse | undefined {
  const match = HOSTED.exec(url.pathname)
  if (!match) return undefined
  if (method !== 'GET' && method !== 'POST')
    return page('Not allowed', '<section><h1>Method not allowed</h1></section>', {status: 405})
  settleClocks(account)
  const form = new URLSearchParams(method === 'POST' ? body : '')
  const id = decodeURIComponent(match[2]!)
  return match[1] === 'checkout'
    ? checkoutPageFor(account, method, id, form)
    : portalPageFor(account, method, id, url.searchParams, form)
}
