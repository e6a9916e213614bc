import {ApiError} from '../errors.js'
import {type Raw, bool, checkParams, int, invalid, str, strArray} from '../params.js'
import {type EventLog, type EventRecord, renderEvent} from './event-log.js'

type ApiObject = Record<string, unknown>

const MAX_TYPES = 20 // fact 88

/** `GET /v1/events`: newest first, filtered by type(s), created range and delivery success (SB-E3). */
export function listEvents(log: EventLog, params: Raw): ApiObject {
  checkParams(
    params,
    'EventListParams',
    ['created', 'delivery_success', 'ending_before', 'expand', 'limit', 'starting_after', 'type', 'types'],
    'GET /v1/events',
  )
  const keep = [typeFilter(params), createdFilter(params.created), deliveryFilter(params.delivery_success)]
  function* matching(): Iterable<EventRecord> {
    for (const event of log.newestFirst()) if (keep.every((test) => test(event))) yield event
  }
  return page(matching(), params)
}

/**
 * Stripe's cursor pagination (SB-8) over events already newest first, reading only as far as the
 * page: an account's history can hold hundreds of thousands of events, and ETL pages through all.
 */
function page(newestFirst: Iterable<EventRecord>, params: Raw): ApiObject {
  const limit = params.limit === undefined ? 10 : int(params.limit, 'limit', 1)
  if (limit > 100) throw invalid('This value must be less than or equal to 100.', 'limit')
  const missing = (param: string, id: string) =>
    new ApiError(404, 'invalid_request_error', `No such object: '${id}'`, 'resource_missing', param)
  const list = (data: EventRecord[], hasMore: boolean) => ({
    object: 'list',
    data: data.map(renderEvent),
    has_more: hasMore,
    url: '/v1/events',
  })
  if (params.ending_before !== undefined) {
    // The `limit` events just newer than the cursor, still newest first.
    const cursor = str(params.ending_before, 'ending_before')
    const newer: EventRecord[] = []
    for (const event of newestFirst) {
      if (event.id === cursor) return list(newer.slice(-limit), newer.length > limit)
      newer.push(event)
    }
    throw missing('ending_before', cursor)
  }
  const cursor = params.starting_after === undefined ? undefined : str(params.starting_after, 'starting_after')
  const data: EventRecord[] = []
  let started = cursor === undefined
  for (const event of newestFirst) {
    if (!started) {
      started = event.id === cursor
      continue
    }
    if (data.length === limit) return list(data, true)
    data.push(event)
  }
  if (!started) throw missing('starting_after', cursor ?? '')
  return list(data, false)
}

/** `GET /v1/events/{id}`: only events of the last 30 days exist (fact 88). */
export function retrieveEvent(log: EventLog, id: string, params: Raw): ApiObject {
  checkParams(params, 'EventRetrieveParams', ['expand'], 'GET /v1/events/{id}')
  const event = log.get(id)
  if (!event) throw new ApiError(404, 'invalid_request_error', `No such event: '${id}'`, 'resource_missing', 'id')
  return renderEvent(event)
}

type Test = (event: EventRecord) => boolean

/** `type` takes one name with `*` as a wildcard; `types[]` up to 20 exact names; never both (fact 88). */
function typeFilter(params: Raw): Test {
  if (params.type !== undefined && params.types !== undefined) {
    throw invalid('You may pass either `type` or `types`, but not both.', 'types')
  }
  if (params.type !== undefined) {
    const pattern = new RegExp(`^${str(params.type, 'type').split('*').map(escapeRegExp).join('.*')}$`)
    return (event) => pattern.test(event.type)
  }
  if (params.types !== undefined) {
    const types = new Set(strArray(params.types, 'types'))
    if (types.size > MAX_TYPES) throw invalid(`You may pass at most ${MAX_TYPES} values in \`types\`.`, 'types')
    return (event) => types.has(event.type)
  }
  return () => true
}

/** `created=<ts>` or `created[gt|gte|lt|lte]=<ts>`, on the event's `created`. */
function createdFilter(value: unknown): Test {
  if (value === undefined) return () => true
  if (typeof value !== 'object' || value === null) {
    const at = int(value, 'created')
    return (event) => event.created === at
  }
  const bounds: Array<(created: number) => boolean> = []
  for (const [op, raw] of Object.entries(value)) {
    const at = int(raw, `created[${op}]`)
    if (op === 'gt') bounds.push((created) => created > at)
    else if (op === 'gte') bounds.push((created) => created >= at)
    else if (op === 'lt') bounds.push((created) => created < at)
    else if (op === 'lte') bounds.push((created) => created <= at)
    else
      throw new ApiError(
        400,
        'invalid_request_error',
        `Received unknown parameter: created[${op}]`,
        'parameter_unknown',
        `created[${op}]`,
      )
  }
  return (event) => bounds.every((bound) => bound(event.created))
}

/** `delivery_success=false`: still pending at some target, or given up by one; `true`: neither (SB-E8). */
function deliveryFilter(value: unknown): Test {
  if (value === undefined) return () => true
  const wanted = bool(value, 'delivery_success')
  return (event) => (event.pendingWebhooks === 0 && event.failedWebhooks === 0) === wanted
}

function escapeRegExp(text: string): string {
  return text.replaceAll(/[.+?^${}()|[\]\\]/g, String.raw`\$&`)
}
