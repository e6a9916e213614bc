import type {VersionChange} from '../change.js'

const INCLUDE_TOTAL = 'include-total-count'

/**
 * Before basil a list request may ask for `include[]=total_count` and gets the number of matching
 * objects; basil removed it, leaving `has_more` (SB-V13). Embedded lists that always carry
 * `total_count` (a subscription's items, an invoice's lines) are unaffected.
 */
export const totalCount: VersionChange = {
  version: '2025-03-31.basil',
  name: 'total-count',
  rule: 'SB-V13',
  up(request) {
    if (request.method !== 'GET') return
    const include = request.params.include
    const list = Array.isArray(include) ? include : include === undefined ? [] : [include]
    if (!list.includes('total_count')) return
    const rest = list.filter((item) => item !== 'total_count')
    if (rest.length > 0) request.params.include = rest
    else delete request.params.include
    request.notes.add(INCLUDE_TOTAL)
  },
  down: {
    list(list, _ctx, request) {
      if (!request?.notes.has(INCLUDE_TOTAL) || list.url !== request.path) return
      // The page knows how many objects matched; it keeps the count out of the newest shape.
      const total: unknown = Object.getOwnPropertyDescriptor(list, 'total_count')?.value
      if (typeof total === 'number')
        Object.defineProperty(list, 'total_count', {value: total, enumerable: true, writable: true, configurable: true})
    },
  },
}
