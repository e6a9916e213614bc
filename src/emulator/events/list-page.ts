import {ApiError} from '../engine.js'
import {type Raw, int, invalid, str} from '../params.js'

type ApiObject = Record<string, unknown>

/** One page of a Stripe list, from items already newest first: `limit` (default 10, max 100), `starting_after`, `ending_before`. */
export function listPage<T extends {id: string}>(newestFirst: Iterable<T>, params: Raw, url: string, render: (item: T) => ApiObject): ApiObject {
  const limit = params.limit === undefined ? 10 : int(params.limit, 'limit', 1)
  if (limit > 100) throw invalid('This value must be less than or equal to 100.', 'limit')
  const items = [...newestFirst]
  const positionOf = (param: 'starting_after' | 'ending_before') => {
    const id = str(params[param], param)
    const at = items.findIndex((item) => item.id === id)
    if (at < 0) throw new ApiError(404, 'invalid_request_error', `No such object: '${id}'`, 'resource_missing', param)
    return at
  }
  if (params.ending_before !== undefined) {
    // The page just before the cursor, still newest first.
    const end = positionOf('ending_before')
    const start = Math.max(0, end - limit)
    return {object: 'list', data: items.slice(start, end).map(render), has_more: start > 0, url}
  }
  const start = params.starting_after === undefined ? 0 : positionOf('starting_after') + 1
  return {object: 'list', data: items.slice(start, start + limit).map(render), has_more: start + limit < items.length, url}
}
