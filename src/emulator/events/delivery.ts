import {createHmac} from 'node:crypto'
import {Agent as HttpAgent, request as httpRequest} from 'node:http'
import {Agent as HttpsAgent, request as httpsRequest} from 'node:https'

import type {EventRecord} from './event-log.js'
import type {DeliveryTarget} from './webhook-endpoints.js'

/**
 * Waits before each retry of a failed delivery, in ms; its length is the number of retries.
 * Stripe's sandbox retries 3 times over a few hours (fact 92); the intervals are not published, and
 * hours are useless on a developer's machine, so the emulator keeps the count and shortens the waits (SB-E7).
 */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1000, 5000, 30_000]

/** An attempt that has not answered in this long counts as failed (ours: Stripe does not publish its timeout). */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000

export interface DeliveryLogEntry {
  /** Wall-clock ms when the attempt started. */
  at: number
  eventId: string
  type: string
  url: string
  /** HTTP status, or 0 when the target was unreachable or timed out. */
  status: number
  latencyMs: number
  /** 1 for the first attempt. */
  attempt: number
  outcome: 'delivered' | 'will_retry' | 'gave_up'
  /** Why an unreachable target failed (connection refused, timeout). */
  error?: string
}

export interface WebhookDeliveryOptions {
  retryDelaysMs?: readonly number[]
  timeoutMs?: number
  /** The request body for an event at a target, rendered at the moment of each attempt. */
  payload: (event: EventRecord, target: DeliveryTarget) => string
  onDelivery?: (entry: DeliveryLogEntry) => void
  /** Called when an event's count of pending or failed deliveries changes for good (--data keeps it). */
  onSettle?: (event: EventRecord) => void
  /** A target that falls this far behind gives up its oldest waiting events (memory stays bounded when a target is down). */
  maxBacklog?: number
  /** Waits before a retry (resolving early once `signal` aborts); tests give their own to retry without waiting on time. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
}

export interface DeliveryTargets {
  /** Every target events go to now, in a stable order. */
  all(): DeliveryTarget[]
  /** The target as it is now (its URL may have changed), or undefined once gone or disabled. */
  current(key: string): DeliveryTarget | undefined
}

/** `Stripe-Signature` as Stripe sends it: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.payload">` (fact 91). */
export function signatureHeader(payload: string, secret: string, timestamp: number): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex')
  return `t=${timestamp},v1=${signature}`
}

/** The headers Stripe's webhook requests carry (SB-E6). */
function deliveryHeaders(payload: string, secret: string, timestamp: number): Record<string, string> {
  return {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-cache',
    'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    Accept: '*/*; q=0.5, application/xml',
    'Stripe-Signature': signatureHeader(payload, secret, timestamp),
  }
}

/** Deliveries in flight at once per target (ours, SB-A5): a receiver is not flooded, and no one event holds the rest. */
export const MAX_IN_FLIGHT_PER_TARGET = 8

/** One event owed to one target, with the attempts it has had. */
interface Owed {
  event: EventRecord
  attempt: number
}

interface TargetDeliveries {
  key: string
  /** Ready to be attempted, oldest first. */
  ready: Owed[]
  inFlight: number
  /** Failed once or more, waiting for their retry. */
  waiting: number
  scheduled: boolean
}

/**
 * Delivers each event to every target that accepts it, each delivery on its own: its own attempts
 * and retries, so a failing event holds back no other (SB-A5, SB-E7). Up to
 * MAX_IN_FLIGHT_PER_TARGET attempts run at once per target, started oldest first; a delivery waiting
 * to retry takes no slot. Runs beside the API: enqueueing never waits on a target.
 */
export class WebhookDelivery {
  private readonly targetsByKey = new Map<string, TargetDeliveries>()
  private readonly running = new Set<Promise<void>>()
  private readonly stop = new AbortController()
  // Kept-alive connections: several times fetch's rate for a local receiver.
  private readonly agents = {http: new HttpAgent({keepAlive: true}), https: new HttpsAgent({keepAlive: true})}
  private readonly retryDelaysMs: readonly number[]
  private readonly timeoutMs: number
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>

  constructor(
    private readonly targets: DeliveryTargets,
    private readonly options: WebhookDeliveryOptions,
  ) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS
    this.timeoutMs = options.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS
    this.sleep = options.sleep ?? sleep
  }

  /** Counts the event as pending at every accepting target, and owes it there. */
  enqueue(event: EventRecord): void {
    if (this.stop.signal.aborted) return
    for (const target of this.targets.all()) {
      if (!target.accepts(event.type)) continue
      event.pendingWebhooks++
      let state = this.targetsByKey.get(target.key)
      if (!state) {
        state = {key: target.key, ready: [], inFlight: 0, waiting: 0, scheduled: false}
        this.targetsByKey.set(target.key, state)
      }
      state.ready.push({event, attempt: 0})
      const owed = state.ready.length + state.inFlight + state.waiting
      // The oldest not yet attempted is given up: a target that is down holds no more than the log keeps.
      if (owed > (this.options.maxBacklog ?? Number.POSITIVE_INFINITY))
        this.drop((state.ready.shift() as Owed).event, target.url, owed - 1)
      this.schedule(state)
    }
  }

  /** Deliveries not yet done (ready, in flight or waiting to retry), over all targets. */
  backlog(): number {
    let count = 0
    for (const state of this.targetsByKey.values()) count += state.ready.length + state.inFlight + state.waiting
    return count
  }

  /** Stops at once: in-flight requests are aborted, retries cancelled, nothing more is sent. */
  async close(): Promise<void> {
    this.stop.abort()
    while (this.running.size > 0) await Promise.all([...this.running])
    this.agents.http.destroy()
    this.agents.https.destroy()
  }

  /** Starts the target's ready deliveries on a later turn: the request that caused them is answered first. */
  private schedule(state: TargetDeliveries): void {
    if (state.scheduled) return
    state.scheduled = true
    this.track(
      new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        state.scheduled = false
        this.pump(state)
      }),
    )
  }

  private pump(state: TargetDeliveries): void {
    while (!this.stop.signal.aborted && state.inFlight < MAX_IN_FLIGHT_PER_TARGET && state.ready.length > 0) {
      const owed = state.ready.shift() as Owed
      state.inFlight++
      this.track(
        this.deliver(state, owed).finally(() => {
          state.inFlight--
          this.pump(state)
        }),
      )
    }
  }

  /** One attempt; a failure that has retries left waits its delay, outside the target's slots, then queues again. */
  private async deliver(state: TargetDeliveries, owed: Owed): Promise<void> {
    const target = this.targets.current(state.key)
    if (!target) {
      // Deleted or disabled: what it was owed counts as given up.
      this.settle(owed.event, false)
      return
    }
    owed.attempt++
    const entry = await this.attempt(target, owed.event, owed.attempt)
    if (this.stop.signal.aborted) return
    const delivered = entry.status >= 200 && entry.status < 300
    const retry = !delivered && owed.attempt <= this.retryDelaysMs.length
    this.options.onDelivery?.({...entry, outcome: delivered ? 'delivered' : retry ? 'will_retry' : 'gave_up'})
    if (!retry) {
      this.settle(owed.event, delivered)
      return
    }
    state.waiting++
    this.track(
      this.sleep(this.retryDelaysMs[owed.attempt - 1] ?? 0, this.stop.signal).then(() => {
        state.waiting--
        if (this.stop.signal.aborted) return
        state.ready.unshift(owed)
        this.pump(state)
      }),
    )
  }

  private track(work: Promise<void>): void {
    this.running.add(work)
    void work.finally(() => this.running.delete(work))
  }

  private drop(event: EventRecord, url: string, waiting: number): void {
    this.settle(event, false)
    this.options.onDelivery?.({
      at: Date.now(),
      eventId: event.id,
      type: event.type,
      url,
      status: 0,
      latencyMs: 0,
      attempt: 0,
      outcome: 'gave_up',
      error: `not sent: ${waiting} newer events wait for this target`,
    })
  }

  private settle(event: EventRecord, delivered: boolean): void {
    event.pendingWebhooks--
    if (!delivered) event.failedWebhooks++
    this.options.onSettle?.(event)
  }

  private async attempt(
    target: DeliveryTarget,
    event: EventRecord,
    attempt: number,
  ): Promise<Omit<DeliveryLogEntry, 'outcome'>> {
    // The real clock, never an emulated one: the receiver checks `t=` against its own clock (fact 91: 300 s tolerance).
    const at = Date.now()
    const started = performance.now()
    const payload = this.options.payload(event, target)
    // Each attempt is signed afresh with the wall-clock time it is sent at (fact 91).
    const headers = deliveryHeaders(payload, target.secret, Math.floor(at / 1000))
    const base = {at, eventId: event.id, type: event.type, url: target.url, attempt}
    try {
      const status = await this.post(target.url, headers, payload)
      return {...base, status, latencyMs: Math.round(performance.now() - started)}
    } catch (error) {
      return {
        ...base,
        status: 0,
        latencyMs: Math.round(performance.now() - started),
        error: error instanceof Error ? error.message : String(error),
      }
    }
  }

  /** One POST; resolves with the status once the answer is read (a redirect is not followed: it is not a delivery). */
  private post(url: string, headers: Record<string, string>, payload: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const target = new URL(url)
      const https = target.protocol === 'https:'
      const options = {
        method: 'POST',
        agent: https ? this.agents.https : this.agents.http,
        headers: {...headers, 'Content-Length': String(Buffer.byteLength(payload))},
        signal: this.stop.signal,
      }
      const request = (https ? httpsRequest : httpRequest)(target, options, (response) => {
        response.resume()
        response.on('end', () => resolve(response.statusCode ?? 0))
        response.on('close', () => resolve(response.statusCode ?? 0))
      })
      request.setTimeout(this.timeoutMs, () => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)))
      request.on('error', reject)
      request.end(payload)
    })
  }
}

/** A retry's wait on the real clock, cut short when delivery stops. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}

/** One line per attempt, for a terminal: type, event, target, status and latency. */
export function formatDelivery(entry: DeliveryLogEntry): string {
  const status = entry.status === 0 ? `unreachable${entry.error ? ` (${entry.error})` : ''}` : String(entry.status)
  const note =
    entry.outcome === 'will_retry'
      ? `, will retry (attempt ${entry.attempt})`
      : entry.outcome === 'gave_up'
        ? `, gave up after ${entry.attempt} attempts`
        : ''
  return `webhook ${entry.type} ${entry.eventId} -> ${entry.url} [${status}] ${entry.latencyMs}ms${note}`
}
