import nock from 'nock'
import qs from 'qs'

/** A request nock saw, with its form body or query parsed the way Stripe parses them. */
export interface SeenRequest {
  method: string
  path: string
  params: Record<string, unknown>
  idempotencyKey?: string
}

export const STRIPE = 'https://api.stripe.com'

/** Records every request a scope answers, for asserting exact paths and form bodies. */
export function recorder() {
  const seen: SeenRequest[] = []
  const record = (
    method: string,
    uri: string,
    body: unknown,
    headers?: Record<string, string | string[]>,
  ): SeenRequest => {
    const [path = '', query = ''] = uri.split('?')
    const raw = method === 'GET' || method === 'DELETE' ? query : typeof body === 'string' ? body : qs.stringify(body)
    const key = headers?.['idempotency-key']
    const request = {
      method,
      path,
      params: qs.parse(raw, {arrayLimit: 1000}) as Record<string, unknown>,
      idempotencyKey: Array.isArray(key) ? key[0] : key,
    }
    seen.push(request)
    return request
  }
  return {seen, record}
}

export function list<T>(data: T[], url: string) {
  return {object: 'list', data, has_more: false, url}
}

export function price(id: string, lookupKey: string, unitAmount: number, product: string, active = true) {
  return {
    id,
    object: 'price',
    active,
    currency: 'usd',
    unit_amount: unitAmount,
    lookup_key: lookupKey,
    product,
    recurring: {interval: 'month', interval_count: 1, usage_type: 'licensed'},
    metadata: {},
    type: 'recurring',
    livemode: false,
    created: 1,
  }
}

export function stripeError(type: string, message: string, code?: string) {
  return {error: {type, message, ...(code ? {code} : {})}}
}

/** Stripe's answer to a rate-limited request (a 429's body). */
export const RATE_LIMITED = stripeError('invalid_request_error', 'Request rate limit exceeded.', 'rate_limit')

export function interceptAll() {
  nock.disableNetConnect()
  return nock(STRIPE)
}
