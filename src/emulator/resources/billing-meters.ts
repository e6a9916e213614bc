/** Billing Meters, meter events and meter event summaries: the usage metered prices bill (SB-U1 – SB-U9). */
import type Stripe from 'stripe'
import {DAY, HOUR} from '../../billing-time.js'
import type {Account} from '../account.js'
import {ApiError, invalid, notModelled} from '../errors.js'
import {type Raw, checkNested, checkParams, int, oneOf, required, str} from '../params.js'
import {
  type ApiObject,
  COMMON,
  PAGINATION,
  type Resource,
  type RouteContext,
  filter,
  list,
  page,
  route,
  updating,
} from '../resource.js'
import {collectionKey} from '../store.js'
import {CUSTOMERS} from './customers/record.js'
import type {Wire} from '../wire.js'

export type MeterFormula = 'sum' | 'count' | 'last'

export interface MeterRecord {
  id: string
  created: number
  updated: number
  displayName: string
  eventName: string
  formula: MeterFormula
  /** The payload keys that name the customer and carry the value (SB-U2). */
  customerKey: string
  valueKey: string
  status: 'active' | 'inactive'
  deactivatedAt: number | null
  seq: number
}

export interface MeterEventRecord {
  id: string
  created: number
  eventName: string
  identifier: string
  payload: Record<string, string>
  timestamp: number
  /** The meter and customer the event counts for when it was recorded; null when none matched (SB-U4). */
  meter: string | null
  customer: string | null
  value: number
  seq: number
}

export const METERS = collectionKey<MeterRecord>('billing-meters', 'billing meter')
export const METER_EVENTS = collectionKey<MeterEventRecord>('billing-meter-events', 'billing meter event')
/** Events by `meter|customer`: what a period's usage sums, without scanning the account. */
const EVENTS_BY_USAGE = 'meter-events-by-meter-customer'
const EVENT_BY_IDENTIFIER = 'meter-event-by-identifier'

/** An identifier is unique for 24 hours (SB-U3); an event may be 35 days old or 5 minutes ahead (SB-U5). */
export const IDENTIFIER_WINDOW = DAY
const PAST_LIMIT = 35 * DAY
const FUTURE_LIMIT = 5 * 60

export function renderMeter(meter: MeterRecord): Wire<Stripe.Billing.Meter> {
  return {
    id: meter.id,
    object: 'billing.meter',
    created: meter.created,
    customer_mapping: {event_payload_key: meter.customerKey, type: 'by_id'},
    default_aggregation: {formula: meter.formula},
    display_name: meter.displayName,
    event_name: meter.eventName,
    event_time_window: null,
    livemode: false,
    status: meter.status,
    status_transitions: {deactivated_at: meter.deactivatedAt},
    updated: meter.updated,
    value_settings: {event_payload_key: meter.valueKey},
  }
}

function renderMeterEvent(event: MeterEventRecord): Wire<Stripe.Billing.MeterEvent> {
  return {
    object: 'billing.meter_event',
    created: event.created,
    event_name: event.eventName,
    identifier: event.identifier,
    livemode: false,
    payload: event.payload,
    timestamp: event.timestamp,
  }
}

/** An active meter for a price's `recurring[meter]`: a deactivated one can't be attached (SB-U6). */
export function attachableMeter(account: Account, id: string, param: string): MeterRecord {
  const meter = account.store.of(METERS).get(id)
  if (!meter)
    throw new ApiError(404, 'invalid_request_error', `No such billing meter: '${id}'`, 'resource_missing', param)
  if (meter.status !== 'active')
    throw invalid(`The meter \`${id}\` is inactive and can't be attached to a price.`, param)
  return meter
}

/**
 * The meter's aggregate of a customer's events with `start <= timestamp < end` (SB-U7): sum of
 * values, count of events, or the value of the latest one (0 without events).
 */
export function aggregateUsage(
  account: Account,
  meterId: string,
  customerId: string,
  start: number,
  end: number,
): number {
  const meter = account.store.of(METERS).get(meterId)
  if (!meter) return 0
  const events = account.store
    .indexed(METER_EVENTS, EVENTS_BY_USAGE, `${meterId}|${customerId}`)
    .filter((event) => event.timestamp >= start && event.timestamp < end)
  if (meter.formula === 'count') return events.length
  if (meter.formula === 'sum') return events.reduce((sum, event) => sum + event.value, 0)
  const last = events.sort((a, b) => b.timestamp - a.timestamp || b.seq - a.seq)[0]
  return last?.value ?? 0
}

/** A period's billed quantity: negative usage bills as 0 (SB-U8). */
export function billedUsage(account: Account, meterId: string, customerId: string, start: number, end: number): number {
  return Math.max(0, aggregateUsage(account, meterId, customerId, start, end))
}

function meterOf(ctx: RouteContext): MeterRecord {
  return ctx.account.store.of(METERS).require(ctx.ids[0] ?? '')
}

function setStatus(
  ctx: RouteContext,
  status: MeterRecord['status'],
  paramsName: 'Billing.MeterDeactivateParams' | 'Billing.MeterReactivateParams',
): ApiObject {
  const verb = status === 'active' ? 'reactivate' : 'deactivate'
  checkParams(ctx.params, paramsName, COMMON, `POST /v1/billing/meters/{id}/${verb}`)
  const meter = meterOf(ctx)
  if (meter.status === status)
    throw invalid(`The meter \`${meter.id}\` is already ${status === 'active' ? 'active' : 'inactive'}.`)
  const now = ctx.account.wallSeconds()
  updating(
    ctx.account,
    status === 'active' ? 'billing.meter.reactivated' : 'billing.meter.deactivated',
    null,
    () => renderMeter(meter),
    () => {
      meter.status = status
      meter.deactivatedAt = status === 'inactive' ? now : null
      meter.updated = now
    },
  )
  return renderMeter(meter)
}

/** The value a payload carries under the meter's value key: whole numbers, negatives allowed (SB-U8). */
function payloadValue(meter: MeterRecord, payload: Record<string, string>): number {
  if (meter.formula === 'count') return 1
  const raw = payload[meter.valueKey]
  if (raw === undefined)
    throw invalid(`The payload is missing the meter's value key \`${meter.valueKey}\`.`, `payload[${meter.valueKey}]`)
  if (!/^-?\d+$/.test(raw)) throw invalid(`The value \`${raw}\` must be a whole number.`, `payload[${meter.valueKey}]`)
  return Number(raw)
}

function createMeterEvent(ctx: RouteContext): ApiObject {
  const endpoint = 'POST /v1/billing/meter_events'
  checkParams(
    ctx.params,
    'Billing.MeterEventCreateParams',
    [...COMMON, 'event_name', 'payload', 'identifier', 'timestamp'],
    endpoint,
  )
  const {account, params} = ctx
  const eventName = str(required(params, 'event_name'), 'event_name')
  const rawPayload = required(params, 'payload')
  if (typeof rawPayload !== 'object' || rawPayload === null || Array.isArray(rawPayload))
    throw invalid('Invalid object', 'payload')
  const payload: Record<string, string> = {}
  for (const [key, value] of Object.entries(rawPayload as Raw)) payload[key] = str(value, `payload[${key}]`)
  // One meter per event name (SB-U1); events for a name without a meter are kept but count for nothing (SB-U4).
  const meter = [...account.store.of(METERS).values()].find((m) => m.eventName === eventName)
  if (meter && meter.status !== 'active')
    throw invalid(`The meter for event_name \`${eventName}\` is inactive and accepts no events.`, 'event_name')
  const customerKey = meter?.customerKey ?? 'stripe_customer_id'
  const customerId = payload[customerKey]
  if (customerId === undefined)
    throw invalid(`The payload is missing the customer mapping key \`${customerKey}\`.`, `payload[${customerKey}]`)
  const customer = account.store.of(CUSTOMERS).get(customerId)
  // A customer on a test clock lives at the clock's time: its events' default timestamp and limits follow it (SB-U5).
  const now = account.nowFor(customer?.testClock ?? null)
  const timestamp = params.timestamp === undefined ? now : int(params.timestamp, 'timestamp')
  if (timestamp < now - PAST_LIMIT)
    throw invalid('The timestamp must be within the past 35 calendar days.', 'timestamp')
  if (timestamp > now + FUTURE_LIMIT)
    throw invalid('The timestamp must not be more than 5 minutes in the future.', 'timestamp')
  const value = meter ? payloadValue(meter, payload) : 0
  const identifier = params.identifier === undefined ? account.newId('', 32) : str(params.identifier, 'identifier')
  for (const earlier of account.store.indexed(METER_EVENTS, EVENT_BY_IDENTIFIER, identifier))
    if (earlier.created > account.wallSeconds() - IDENTIFIER_WINDOW)
      throw new ApiError(
        400,
        'invalid_request_error',
        `An event already exists with identifier ${identifier}.`,
        // Stripe's error-code list has no code for this refusal, so it carries none (SB-C4).
        undefined,
        'identifier',
      )
  const event: MeterEventRecord = {
    id: account.newId('mev_'),
    created: account.wallSeconds(),
    eventName,
    identifier,
    payload,
    timestamp,
    meter: meter?.id ?? null,
    customer: customer ? customer.id : null,
    value,
    seq: account.nextSeq(),
  }
  account.store.of(METER_EVENTS).set(event.id, event)
  account.store.index(EVENT_BY_IDENTIFIER).add(identifier, event.id)
  if (event.meter && event.customer)
    account.store.index(EVENTS_BY_USAGE).add(`${event.meter}|${event.customer}`, event.id)
  return renderMeterEvent(event)
}

/** Summaries over [start_time, end_time), one for the whole range or one per hour or day window (SB-U9). */
function listEventSummaries(ctx: RouteContext): ApiObject {
  checkParams(
    ctx.params,
    'Billing.MeterListEventSummariesParams',
    [...COMMON, ...PAGINATION, 'customer', 'start_time', 'end_time', 'value_grouping_window'],
    'GET /v1/billing/meters/{id}/event_summaries',
  )
  const {account, params} = ctx
  const meter = meterOf(ctx)
  const customer = str(required(params, 'customer'), 'customer')
  const start = int(required(params, 'start_time'), 'start_time')
  const end = int(required(params, 'end_time'), 'end_time')
  if (start % 60 !== 0) throw invalid('start_time must be aligned with minute boundaries.', 'start_time')
  if (end % 60 !== 0) throw invalid('end_time must be aligned with minute boundaries.', 'end_time')
  if (end <= start) throw invalid('end_time must be after start_time.', 'end_time')
  const window =
    params.value_grouping_window === undefined
      ? undefined
      : oneOf(params.value_grouping_window, 'value_grouping_window', ['hour', 'day'] as const)
  const size = window === 'hour' ? HOUR : window === 'day' ? DAY : undefined
  // Windows are on UTC hour and day boundaries (SB-U9); the first and last are cut to the range.
  const bounds: Array<[number, number]> = []
  if (size === undefined) bounds.push([start, end])
  else
    for (let from = start; from < end;) {
      const to = Math.min(end, (Math.floor(from / size) + 1) * size)
      bounds.push([from, to])
      from = to
    }
  if (bounds.length > 10_000) throw notModelled('meter event summaries over more than 10000 windows')
  const summaries = bounds
    .map(([from, to]): Wire<Stripe.Billing.MeterEventSummary> => ({
      id: `mtrusg_${meter.id}_${customer}_${from}_${to}`,
      object: 'billing.meter_event_summary',
      aggregated_value: aggregateUsage(account, meter.id, customer, from, to),
      end_time: to,
      livemode: false,
      meter: meter.id,
      start_time: from,
    }))
    // Newest window first, as lists are (SB-8).
    .reverse()
  return page(ctx, summaries, (summary) => summary)
}

export const billingMeters: Resource = {
  object: 'billing.meter',
  idPrefixes: ['mtr_'],
  render: (account, id) => {
    const meter = account.store.of(METERS).get(id)
    return meter && renderMeter(meter)
  },
  documentedParams: {
    file: 'Billing/Meters.d.ts',
    interfaces: [
      'Billing.MeterCreateParams',
      'Billing.MeterRetrieveParams',
      'Billing.MeterUpdateParams',
      'Billing.MeterListParams',
      'Billing.MeterDeactivateParams',
      'Billing.MeterReactivateParams',
      'Billing.MeterListEventSummariesParams',
    ],
  },
  routes: [
    route('POST', '/v1/billing/meters', (ctx) => {
      const endpoint = 'POST /v1/billing/meters'
      checkParams(
        ctx.params,
        'Billing.MeterCreateParams',
        [
          ...COMMON,
          'default_aggregation',
          'display_name',
          'event_name',
          'customer_mapping',
          'value_settings',
          'event_time_window',
        ],
        endpoint,
      )
      const {account, params} = ctx
      // Pre-aggregated ingestion (newest event per hour or day wins) is not modelled.
      if (params.event_time_window !== undefined)
        throw notModelled('the parameter `event_time_window` on POST /v1/billing/meters (pre-aggregated meter events)')
      const aggregation = checkNested(
        required(params, 'default_aggregation'),
        'default_aggregation',
        ['formula'],
        ['formula'],
        endpoint,
      )
      const formula = oneOf(required(aggregation, 'formula'), 'default_aggregation[formula]', [
        'sum',
        'count',
        'last',
      ] as const)
      const displayName = str(required(params, 'display_name'), 'display_name')
      if (displayName.length > 250) throw invalid('display_name must be at most 250 characters.', 'display_name')
      const eventName = str(required(params, 'event_name'), 'event_name')
      if (eventName.length > 100) throw invalid('event_name must be at most 100 characters.', 'event_name')
      if ([...account.store.of(METERS).values()].some((meter) => meter.eventName === eventName))
        throw invalid(`A meter with event_name \`${eventName}\` already exists.`, 'event_name')
      let customerKey = 'stripe_customer_id'
      if (params.customer_mapping !== undefined) {
        const mapping = checkNested(
          params.customer_mapping,
          'customer_mapping',
          ['event_payload_key', 'type'],
          ['event_payload_key', 'type'],
          endpoint,
        )
        oneOf(required(mapping, 'type'), 'customer_mapping[type]', ['by_id'] as const)
        customerKey = str(required(mapping, 'event_payload_key'), 'customer_mapping[event_payload_key]')
      }
      let valueKey = 'value'
      if (params.value_settings !== undefined) {
        const settings = checkNested(
          params.value_settings,
          'value_settings',
          ['event_payload_key'],
          ['event_payload_key'],
          endpoint,
        )
        valueKey = str(required(settings, 'event_payload_key'), 'value_settings[event_payload_key]')
      }
      const now = account.wallSeconds()
      const meter: MeterRecord = {
        id: account.newId('mtr_test_'),
        created: now,
        updated: now,
        displayName,
        eventName,
        formula,
        customerKey,
        valueKey,
        status: 'active',
        deactivatedAt: null,
        seq: account.nextSeq(),
      }
      account.store.of(METERS).set(meter.id, meter)
      account.emit('billing.meter.created', () => renderMeter(meter), null)
      return renderMeter(meter)
    }),
    route('GET', '/v1/billing/meters/:id', (ctx) => {
      checkParams(ctx.params, 'Billing.MeterRetrieveParams', COMMON, 'GET /v1/billing/meters/{id}')
      return renderMeter(meterOf(ctx))
    }),
    // Only the display name changes once a meter exists (SB-U1).
    route('POST', '/v1/billing/meters/:id', (ctx) => {
      checkParams(ctx.params, 'Billing.MeterUpdateParams', [...COMMON, 'display_name'], 'POST /v1/billing/meters/{id}')
      const meter = meterOf(ctx)
      if (ctx.params.display_name === undefined) return renderMeter(meter)
      const displayName = str(ctx.params.display_name, 'display_name')
      if (displayName.length > 250) throw invalid('display_name must be at most 250 characters.', 'display_name')
      updating(
        ctx.account,
        'billing.meter.updated',
        null,
        () => renderMeter(meter),
        () => {
          meter.displayName = displayName
          meter.updated = ctx.account.wallSeconds()
        },
      )
      return renderMeter(meter)
    }),
    route('GET', '/v1/billing/meters', (ctx) => {
      checkParams(ctx.params, 'Billing.MeterListParams', [...COMMON, ...PAGINATION, 'status'], 'GET /v1/billing/meters')
      const status =
        ctx.params.status === undefined
          ? undefined
          : oneOf(ctx.params.status, 'status', ['active', 'inactive'] as const)
      return list(
        ctx,
        filter(ctx.account.store.of(METERS).values(), (meter) => status === undefined || meter.status === status),
        renderMeter,
      )
    }),
    route('POST', '/v1/billing/meters/:id/deactivate', (ctx) =>
      setStatus(ctx, 'inactive', 'Billing.MeterDeactivateParams'),
    ),
    route('POST', '/v1/billing/meters/:id/reactivate', (ctx) =>
      setStatus(ctx, 'active', 'Billing.MeterReactivateParams'),
    ),
    route('GET', '/v1/billing/meters/:id/event_summaries', listEventSummaries),
  ],
}

export const billingMeterEvents: Resource = {
  object: 'billing.meter_event',
  idPrefixes: [],
  documentedParams: {file: 'Billing/MeterEvents.d.ts', interfaces: ['Billing.MeterEventCreateParams']},
  routes: [route('POST', '/v1/billing/meter_events', createMeterEvent)],
}
