import {changedFields} from '../account.js'
import type {EventSink, StateChange} from '../event-sink.js'
import {type ApiVersion, LATEST_VERSION} from '../versions/registry.js'

type ApiObject = Record<string, unknown>

/** Renders an object (newest shape) in an API version. */
export type RenderAt = (object: ApiObject, version: ApiVersion) => ApiObject

/** `GET /v1/events` reaches back 30 days (fact 88), measured on the wall clock from when the event was recorded (SB-E4). */
export const EVENT_RETENTION_MS = 30 * 86_400_000

/** One recorded event: what Stripe returns, plus its delivery state and when it was recorded. */
export interface EventRecord {
  id: string
  type: string
  created: number
  /** The account's default version when the event was recorded: the one `data` is rendered in (SB-V2). */
  apiVersion: ApiVersion
  /** `data` as JSON, written once at recording: never changed afterwards (SB-E1), and compact for a long history. */
  data: string
  /** `data` in the other versions endpoints asked for (SB-V2), rendered at recording too. */
  renditions?: Map<string, string>
  request: StateChange['request']
  /** Order of recording: ties `created` (many events share a second, or a clock's frozen time). */
  seq: number
  /** Wall-clock ms when recorded: the 30-day window is measured from here. */
  recordedAt: number
  /** Delivery targets that still owe this event a successful delivery (SB-E8). */
  pendingWebhooks: number
  /** Delivery targets that gave up on this event. */
  failedWebhooks: number
}

/** At most this many events are kept (ours, SB-E4): a 10,000-customer six-month run records ~470,000, over 1.5 GB. */
export const DEFAULT_MAX_EVENTS = 100_000

export interface EventLogOptions {
  random: () => number
  wallNow: () => number
  /** Keep at most this many events, forgetting the oldest recorded (default DEFAULT_MAX_EVENTS). */
  maxEvents?: number
  /** The account's default API version (default the newest). */
  apiVersion?: ApiVersion
  /** Renders an object in an older version (default: as it is, the newest). */
  render?: RenderAt
}

const ID_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/**
 * The account's events: every state change the resources emit becomes one Stripe Event, kept in
 * `created` order for listing, and handed to whoever delivers webhooks.
 */
export class EventLog implements EventSink {
  /** Ascending by (created, seq): lists read it backwards, newest first. */
  private ordered: EventRecord[] = []
  private readonly byId = new Map<string, EventRecord>()
  private readonly subscribers: Array<(event: EventRecord) => void> = []
  private seq = 0
  readonly maxEvents: number

  constructor(private readonly options: EventLogOptions) {
    this.maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS
  }

  /** Called once per new event, after it is recorded (webhook delivery subscribes here). */
  subscribe(subscriber: (event: EventRecord) => void): void {
    this.subscribers.push(subscriber)
  }

  /** Records one event in the account's version, and in each of `otherVersions` (the endpoints' own, SB-V2). */
  emit(change: StateChange, otherVersions: Iterable<ApiVersion> = []): void {
    const now = this.options.wallNow()
    this.forget(now - EVENT_RETENTION_MS)
    const apiVersion = this.options.apiVersion ?? LATEST_VERSION
    const renditions = new Map<string, string>()
    for (const version of otherVersions)
      if (version !== apiVersion && !renditions.has(version)) renditions.set(version, this.dataJson(change, version))
    const event: EventRecord = {
      id: this.newId(),
      type: change.type,
      created: change.created,
      apiVersion,
      // The resource may go on changing (or expanding) the object it rendered; the event keeps the moment.
      data: this.dataJson(change, apiVersion),
      ...(renditions.size > 0 ? {renditions} : {}),
      request: change.request,
      seq: ++this.seq,
      recordedAt: now,
      pendingWebhooks: 0,
      failedWebhooks: 0,
    }
    this.insert(event)
    this.byId.set(event.id, event)
    for (const subscriber of this.subscribers) subscriber(event)
  }

  /** An event still within the 30-day window, or undefined. */
  get(id: string): EventRecord | undefined {
    const event = this.byId.get(id)
    if (!event || event.recordedAt <= this.options.wallNow() - EVENT_RETENTION_MS) return undefined
    return event
  }

  /** Events within the 30-day window, newest first (by `created`, then by recording order). */
  *newestFirst(): Iterable<EventRecord> {
    const cutoff = this.options.wallNow() - EVENT_RETENTION_MS
    for (let i = this.ordered.length - 1; i >= 0; i--) {
      const event = this.ordered[i] as EventRecord
      if (event.recordedAt > cutoff) yield event
    }
  }

  get size(): number {
    return this.byId.size
  }

  /** The recording counter, for --data. */
  get seqCounter(): number {
    return this.seq
  }

  /** The oldest event still kept (its seq), for --data to forget what the log forgot. */
  get oldestSeq(): number | undefined {
    return this.byId.values().next().value?.seq
  }

  /** Puts back events kept by --data (in recording order) and the counter; or empties the log (reset). */
  restore(events: readonly EventRecord[], seq: number): void {
    this.ordered = []
    this.byId.clear()
    for (const event of events) {
      this.insert(event)
      this.byId.set(event.id, event)
    }
    this.seq = seq
  }

  private insert(event: EventRecord): void {
    // Almost always appended: only another clock's older frozen time lands earlier.
    let at = this.ordered.length
    while (at > 0 && (this.ordered[at - 1] as EventRecord).created > event.created) at--
    this.ordered.splice(at, 0, event)
  }

  /** A server that runs for months does not keep events no request can reach. */
  /** Forgets events recorded before `cutoff`, and makes room under the cap (a tenth at a time, so the re-index is rare). */
  private forget(cutoff: number): void {
    if (this.byId.size === 0) return
    const first = this.byId.values().next().value as EventRecord
    const full = this.byId.size >= this.maxEvents
    if (first.recordedAt > cutoff && !full) return
    const room = full ? this.byId.size - this.maxEvents + 1 + Math.floor(this.maxEvents / 10) : 0
    let dropped = 0
    for (const [id, event] of this.byId) {
      if (event.recordedAt > cutoff && dropped >= room) break
      this.byId.delete(id)
      dropped++
    }
    this.ordered = this.ordered.filter((event) => this.byId.has(event.id))
  }

  /** `data` in one version; an older version's previous attributes are what differs between its renderings of before and after. */
  private dataJson(change: StateChange, version: ApiVersion): string {
    const render = this.options.render
    const object = render ? render(change.object, version) : change.object
    let previous = change.previousAttributes
    if (previous && render && object !== change.object)
      previous = changedFields(render({...change.object, ...previous}, version), object) ?? {}
    return JSON.stringify({
      object,
      // Only `*.updated` events carry previous attributes (fact 87).
      ...(previous === undefined || !change.type.endsWith('.updated') ? {} : {previous_attributes: previous}),
    })
  }

  private newId(): string {
    return randomId('evt_', this.options.random)
  }
}

/** A Stripe-looking id: the prefix and 24 letters or digits drawn from `random`. */
export function randomId(prefix: string, random: () => number): string {
  let id = prefix
  for (let i = 0; i < 24; i++) id += ID_CHARS[Math.floor(random() * ID_CHARS.length)]
  return id
}

/** The Event as Stripe returns it, field for field as fixtures3.json's `event` (SB-E1). */
export function renderEvent(event: EventRecord): ApiObject {
  return JSON.parse(eventJson(event)) as ApiObject
}

/** The Event's JSON in `version` (default the one it was recorded in), as a webhook body: built around the stored `data` without parsing it. */
export function eventJson(event: EventRecord, version: string | null = null): string {
  const rendition = version === null ? undefined : event.renditions?.get(version)
  const data = rendition ?? event.data
  const head = {
    id: event.id,
    object: 'event',
    api_version: rendition ? version : event.apiVersion,
    created: event.created,
  }
  const tail = {
    livemode: false,
    pending_webhooks: event.pendingWebhooks,
    // Automatic changes carry a request with null id and key, as in Stripe's example event (SB-E2).
    request: {id: event.request?.id ?? null, idempotency_key: event.request?.idempotencyKey ?? null},
    type: event.type,
  }
  return `${JSON.stringify(head).slice(0, -1)},"data":${data},${JSON.stringify(tail).slice(1)}`
}
