import type {EventSink, StateChange} from '../event-sink.js'
import {type Store, collectionKey} from '../store.js'
import {type DeliveryLogEntry, WebhookDelivery} from './delivery.js'
import type {ApiVersion} from '../versions/registry.js'
import {EventLog, type EventRecord, type RenderAt, eventJson} from './event-log.js'
import {
  type DeliveryTarget,
  type WebhookEndpointRecord,
  WebhookEndpoints,
  acceptsEvent,
  isEventType,
  newSigningSecret,
} from './webhook-endpoints.js'

/** Like `stripe listen --forward-to URL --events a,b`: every event (or only these types) POSTed to `url`. */
export interface ForwardTarget {
  url: string
  events?: string[]
}

export interface AccountEventsOptions {
  random: () => number
  wallNow: () => number
  forwardTo?: ForwardTarget[]
  /** Keep at most this many events (SB-E4). */
  maxEvents?: number
  /** Signs forwarded events; a fresh one when not given. */
  webhookSecret?: string
  /** Waits before each retry of a failed delivery, ms (SB-E7). */
  webhookRetryDelaysMs?: readonly number[]
  webhookTimeoutMs?: number
  onDelivery?: (entry: DeliveryLogEntry) => void
  /** An event's delivery counts changed for good (--data keeps them). */
  onSettle?: (event: EventRecord) => void
  /** Also receives every state change (tests record them). */
  observer?: EventSink
  /** The account's default API version: events are rendered in it (SB-V2). */
  apiVersion?: ApiVersion
  /** Renders an object in an older version, for events and endpoints pinned to one. */
  render?: RenderAt
  /** The account's store: webhook endpoints are records there. */
  store?: Store
}

export const WEBHOOK_ENDPOINTS = collectionKey<WebhookEndpointRecord>('webhook_endpoints', 'webhook endpoint')

/**
 * The account's events and webhooks, behind the EventSink the resources emit into: the event log,
 * the registered webhook endpoints, the forwarding targets and the delivery queues.
 */
export class AccountEvents implements EventSink {
  readonly log: EventLog
  readonly endpoints: WebhookEndpoints
  readonly delivery: WebhookDelivery
  /** The secret forwarded events are signed with. */
  readonly forwardingSecret: string
  private readonly forwards: DeliveryTarget[]
  private readonly observer: EventSink | undefined

  constructor(options: AccountEventsOptions) {
    this.log = new EventLog(options)
    this.endpoints = new WebhookEndpoints({
      ...options,
      ...(options.store ? {records: options.store.of(WEBHOOK_ENDPOINTS)} : {}),
    })
    this.forwardingSecret = options.webhookSecret ?? newSigningSecret()
    this.forwards = (options.forwardTo ?? []).map((forward, index) =>
      forwardTarget(forward, index, this.forwardingSecret),
    )
    const targets = {
      // Forwarding targets first, then endpoints in creation order: a stable order per event.
      all: () => [...this.forwards, ...this.endpoints.targets()],
      current: (key: string) => this.forwards.find((target) => target.key === key) ?? this.endpoints.target(key),
    }
    this.delivery = new WebhookDelivery(targets, {
      // An endpoint with its own version gets the event in it; the rest, in the account's (SB-V2).
      payload: (event, target) => eventJson(event, target.apiVersion),
      // A target that is down holds no more than the log itself keeps.
      maxBacklog: this.log.maxEvents,
      ...(options.webhookRetryDelaysMs ? {retryDelaysMs: options.webhookRetryDelaysMs} : {}),
      ...(options.webhookTimeoutMs === undefined ? {} : {timeoutMs: options.webhookTimeoutMs}),
      ...(options.onDelivery ? {onDelivery: options.onDelivery} : {}),
      onSettle: (event) => options.onSettle?.(event),
    })
    this.log.subscribe((event) => this.delivery.enqueue(event))
    this.observer = options.observer
  }

  emit(change: StateChange): void {
    const versions = this.endpoints
      .targets()
      .filter((target) => target.apiVersion !== null && target.accepts(change.type))
      .map((target) => target.apiVersion as ApiVersion)
    this.log.emit(change, versions)
    this.observer?.emit(change)
  }

  close(): Promise<void> {
    return this.delivery.close()
  }
}

function forwardTarget(forward: ForwardTarget, index: number, secret: string): DeliveryTarget {
  const unknown = (forward.events ?? []).filter((type) => type !== '*' && !isEventType(type))
  if (unknown.length > 0) throw new Error(`Not Stripe event types: ${unknown.join(', ')}`)
  if (!URL.canParse(forward.url)) throw new Error(`Not a URL to forward events to: ${forward.url}`)
  const events = forward.events && forward.events.length > 0 ? forward.events : ['*']
  return {
    key: `forward:${index}`,
    url: forward.url,
    secret,
    // Like `stripe listen`: in the account's version (SB-V2).
    apiVersion: null,
    accepts: (type) => acceptsEvent(events, type),
  }
}
