import {ApiError} from '../engine.js'
import {type Raw, bool, checkParams, int, invalid, str, strArray} from '../params.js'
import {type EventLog, type EventRecord, renderEvent} from './event-log.js'
import {listPage} from './list-page.js'

type ApiObject = Record<string, unknown>

const MAX_TYPES = 20 // fact 88

/** `GET /v1/events`: newest first, filtered by type(s), created range and delivery success (SB-E3). */
export function listEvents(log: EventLog, params: Raw): ApiObject {
  checkParams(params, 'EventListParams', ['created', 'delivery_success', 'ending_before', 'expand', 'limit', 'starting_after', 'type', 'types'], 'GET /v1/events')
  const keep = [typeFilter(params), createdFilter(params.created), deliveryFilter(params.delivery_success)]
  function* matching(): Iterable<EventRecord> {
    for (const event of log.newestFirst()) if (keep.every((test) => test(event))) yield event
  }
  return listPage(matching(), params, '/v1/events', renderEvent)
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
    else throw new ApiError(400, 'invalid_request_error', `Received unknown parameter: created[${op}]`, 'parameter_unknown', `created[${op}]`)
  }
  return (event) => bounds.every((bound) => bound(event.created))
}

/** `delivery_success=false`: still pending at some target, or given up by one; `true`: neither (SB-E9). */
function deliveryFilter(value: unknown): Test {
  if (value === undefined) return () => true
  const wanted = bool(value, 'delivery_success')
  return (event) => (event.pendingWebhooks === 0 && event.failedWebhooks === 0) === wanted
}

function escapeRegExp(text: string): string {
  return text.replaceAll(/[.+?^${}()|[\]\\]/g, String.raw`\$&`)
}
