import type {Account} from './account.js'
import {ApiError} from './errors.js'
import type {AdvanceTiming, ApiObject, Route} from './resource.js'

/** What the server gives an account so its hosted pages and search can run the API's own routes. */
export interface InternalApi {
  routes: readonly Route[]
  advance: AdvanceTiming
  /** Where the server listens (`http://127.0.0.1:12111`): hosted pages' URLs start with it. */
  baseUrl: string
}

const APIS = new WeakMap<Account, InternalApi>()

/** Called by the server once it listens: the routes, timing and address internal requests use. */
export function serveInternally(account: Account, api: InternalApi): void {
  APIS.set(account, api)
}

export function internalApi(account: Account): InternalApi {
  const api = APIS.get(account)
  if (!api) throw new ApiError(500, 'api_error', 'Emulator bug: the account has no internal API (serveInternally).')
  return api
}

/**
 * Runs one API request inside the emulator exactly as a client's request would run (same route,
 * same parameter checks, same events), so Checkout and the portal produce what the API produces.
 * `params` are given as the form parser would give them: strings, arrays and objects.
 */
export function internalRequest(
  account: Account,
  method: Route['method'],
  path: string,
  params: Record<string, unknown> = {},
): ApiObject {
  const api = internalApi(account)
  for (const route of api.routes) {
    if (route.method !== method) continue
    const match = route.pattern.exec(path)
    if (!match) continue
    // A fixed path (`/v1/customers/search`) is never an id of a `/:id` route.
    if (match.length > 1 && api.routes.some((other) => other.method === method && other.pattern.source === `^${path}$`))
      continue
    return route.handle({
      account,
      params,
      path,
      ids: match.slice(1).map(decodeURIComponent),
      advance: api.advance,
      apiVersion: null,
    })
  }
  throw new ApiError(500, 'api_error', `Emulator bug: no internal route for ${method} ${path}`)
}

/** Every object a list endpoint returns, through its cursor pages. */
export function internalListAll(account: Account, path: string, params: Record<string, unknown> = {}): ApiObject[] {
  const all: ApiObject[] = []
  let after: string | undefined
  for (;;) {
    const page = internalRequest(account, 'GET', path, {
      ...params,
      limit: '100',
      ...(after ? {starting_after: after} : {}),
    })
    const data = page.data as ApiObject[]
    all.push(...data)
    if (!page.has_more || data.length === 0) return all
    after = String(data.at(-1)?.id)
  }
}
