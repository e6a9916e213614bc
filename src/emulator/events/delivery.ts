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
  /** A target that falls this far behind gives up its oldest waiting events (memory stays bounded when a target is down). */
  maxBacklog?: number
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

interface TargetQueue {
  key: string
  events: EventRecord[]
  worker?: Promise<void>
}

/**
 * Delivers each event to every target that accepts it, one queue per target: in creation order,
 * one request at a time, a failing event retried (and holding back later ones) until it is
 * delivered or given up (SB-E7). Runs beside the API: enqueueing never waits on a target.
 */
export class WebhookDelivery {
  private readonly queues = new Map<string, TargetQueue>()
  private readonly stop = new AbortController()
  // Kept-alive connections, one per target at a time: several times fetch's rate for a local receiver.
  private readonly agents = {http: new HttpAgent({keepAlive: true}), https: new HttpsAgent({keepAlive: true})}
  private readonly retryDelaysMs: readonly number[]
  private readonly timeoutMs: number

  constructor(
    private readonly targets: DeliveryTargets,
    private readonly options: WebhookDeliveryOptions,
  ) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS
    this.timeoutMs = options.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS
  }

  /** Counts the event as pending at every accepting target, and queues it there. */
  enqueue(event: EventRecord): void {
    if (this.stop.signal.aborted) return
    for (const target of this.targets.all()) {
      if (!target.accepts(event.type)) continue
      event.pendingWebhooks++
      let queue = this.queues.get(target.key)
      if (!queue) {
        queue = {key: target.key, events: []}
        this.queues.set(target.key, queue)
      }
      queue.events.push(event)
      // The head (index 0) may be in flight: the oldest waiting behind it is given up.
      if (queue.events.length > (this.options.maxBacklog ?? Number.POSITIVE_INFINITY))
        this.drop(queue.events.splice(1, 1)[0] as EventRecord, target.url, queue.events.length)
      // Started on a later turn: the request that caused the event is answered first.
      queue.worker ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain(queue))
    }
  }

  /** Deliveries not yet done (queued, in flight or waiting to retry), over all targets. */
  backlog(): number {
    let count = 0
    for (const queue of this.queues.values()) count += queue.events.length
    return count
  }

  /** Stops at once: in-flight requests are aborted, retries cancelled, nothing more is sent. */
  async close(): Promise<void> {
    this.stop.abort()
    await Promise.all([...this.queues.values()].map((queue) => queue.worker))
    this.agents.http.destroy()
    this.agents.https.destroy()
  }

  private async drain(queue: TargetQueue): Promise<void> {
    let attempt = 0
    while (queue.events.length > 0 && !this.stop.signal.aborted) {
      const event = queue.events[0] as EventRecord
      const target = this.targets.current(queue.key)
      if (!target) {
        // Deleted or disabled: what it was owed counts as given up.
        for (const owed of queue.events.splice(0)) this.settle(owed, false)
        break
      }
      attempt++
      const entry = await this.attempt(target, event, attempt)
      if (this.stop.signal.aborted) break
      const delivered = entry.status >= 200 && entry.status < 300
      const retry = !delivered && attempt <= this.retryDelaysMs.length
      this.options.onDelivery?.({...entry, outcome: delivered ? 'delivered' : retry ? 'will_retry' : 'gave_up'})
      if (retry) {
        await this.wait(this.retryDelaysMs[attempt - 1] ?? 0)
        continue
      }
      queue.events.shift()
      this.settle(event, delivered)
      attempt = 0
    }
    queue.worker = undefined
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

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stop.signal.aborted) return resolve()
      const done = () => {
        clearTimeout(timer)
        this.stop.signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.stop.signal.addEventListener('abort', done)
    })
  }
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
