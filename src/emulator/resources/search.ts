import {internalListAll} from '../dispatch.js'
import {invalid} from '../errors.js'
import {checkParams, int, str} from '../params.js'
import {type ApiObject, COMMON, type Resource, type RouteContext, route} from '../resource.js'
import {type SearchField, matches, parseQuery} from '../search/query.js'

type Fields = Record<string, SearchField>
const field = (type: SearchField['type'], name: string, substring = false): SearchField => ({
  type,
  ...(substring ? {substring} : {}),
  read: (object) => object[name],
})
const metadata = field('metadata', 'metadata')
const created = field('timestamp', 'created')

/** Each resource's query fields as docs.stripe.com/search lists them (SB-P13). */
const SEARCHES: Array<{resource: string; path: string; list: Record<string, string>; fields: Fields}> = [
  {
    resource: 'customers',
    path: '/v1/customers',
    list: {},
    fields: {
      created,
      email: field('string', 'email', true),
      metadata,
      name: field('string', 'name', true),
      phone: field('string', 'phone', true),
    },
  },
  {
    resource: 'products',
    path: '/v1/products',
    list: {},
    fields: {
      active: field('boolean', 'active'),
      description: field('string', 'description', true),
      metadata,
      name: field('string', 'name', true),
      shippable: field('boolean', 'shippable'),
      url: field('token', 'url'),
    },
  },
  {
    resource: 'prices',
    path: '/v1/prices',
    list: {},
    fields: {
      active: field('boolean', 'active'),
      currency: field('token', 'currency'),
      lookup_key: field('token', 'lookup_key'),
      metadata,
      product: field('token', 'product'),
      type: field('token', 'type'),
    },
  },
  {
    resource: 'subscriptions',
    path: '/v1/subscriptions',
    list: {status: 'all'},
    fields: {created, metadata, status: field('token', 'status')},
  },
  {
    resource: 'invoices',
    path: '/v1/invoices',
    list: {},
    fields: {
      created,
      currency: field('token', 'currency'),
      customer: field('token', 'customer'),
      last_finalization_error_code: {
        type: 'token',
        read: (invoice) => (invoice.last_finalization_error as {code?: unknown} | null)?.code ?? null,
      },
      last_finalization_error_type: {
        type: 'token',
        read: (invoice) => (invoice.last_finalization_error as {type?: unknown} | null)?.type ?? null,
      },
      metadata,
      number: field('token', 'number'),
      receipt_number: field('token', 'receipt_number'),
      status: field('token', 'status'),
      // Since basil an invoice names its subscription under parent.subscription_details.
      subscription: {
        type: 'token',
        read: (invoice) =>
          (invoice.parent as {subscription_details?: {subscription?: unknown}} | null)?.subscription_details
            ?.subscription ?? null,
      },
      total: field('number', 'total'),
    },
  },
  {
    resource: 'payment_intents',
    path: '/v1/payment_intents',
    list: {},
    fields: {
      amount: field('number', 'amount'),
      created,
      currency: field('token', 'currency'),
      customer: field('token', 'customer'),
      metadata,
      status: field('token', 'status'),
    },
  },
]

/** `page` tokens are opaque to clients: ours carry the offset into the ordered matches (SB-P14). */
function pageToken(offset: number): string {
  return Buffer.from(JSON.stringify({offset})).toString('base64url')
}

function offsetOf(token: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {offset?: unknown}
    if (typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0) return parsed.offset
  } catch {}
  throw invalid(`Invalid page: '${token}'.`, 'page')
}

function search(ctx: RouteContext, spec: (typeof SEARCHES)[number]): ApiObject {
  // All six SearchParams interfaces document the same four parameters: query, limit, page, expand.
  checkParams(ctx.params, 'CustomerSearchParams', [...COMMON, 'query', 'limit', 'page'], `GET ${spec.path}/search`)
  if (ctx.params.query === undefined) throw invalid('Missing required param: query.', 'query', 'parameter_missing')
  const query = parseQuery(str(ctx.params.query, 'query'), spec.resource, spec.fields)
  const limit = ctx.params.limit === undefined ? 10 : int(ctx.params.limit, 'limit', 1)
  if (limit > 100) throw invalid('This value must be less than or equal to 100.', 'limit')
  const offset = ctx.params.page === undefined ? 0 : offsetOf(str(ctx.params.page, 'page'))
  // Read through the list endpoint, newest first: search sees what a list sees, at once (SB-P14).
  const found = internalListAll(ctx.account, spec.path, spec.list).filter((object) =>
    matches(object, query, spec.fields),
  )
  const data = found.slice(offset, offset + limit)
  const hasMore = offset + limit < found.length
  const expand = (ctx.params.expand as string[] | undefined) ?? []
  return {
    object: 'search_result',
    data,
    has_more: hasMore,
    next_page: hasMore ? pageToken(offset + limit) : null,
    url: `${spec.path}/search`,
    ...(expand.includes('total_count') ? {total_count: found.length} : {}),
  }
}

export const searches: Resource = {
  object: 'search_result',
  idPrefixes: [],
  documentedParams: {file: 'Customers.d.ts', interfaces: ['CustomerSearchParams']},
  routes: SEARCHES.map((spec) => route('GET', `${spec.path}/search`, (ctx) => search(ctx, spec))),
}
