import {createHash} from 'node:crypto'
import {type IncomingMessage, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import qs from 'qs'

import {seededRandom} from '../random.js'
import {Account, DEFAULT_RETRY_SCHEDULE_DAYS} from './account.js'
import {ApiError, notModelled} from './errors.js'
import type {EventSink} from './event-sink.js'
import {serveInternally} from './dispatch.js'
import {AccountEvents, type ForwardTarget} from './events/account-events.js'
import type {DeliveryLogEntry} from './events/delivery.js'
import type {EventRecord} from './events/event-log.js'
import {type Counters, type DurableContents, DurableState} from './persistence.js'
import stripeEndpoints from './stripe-endpoints.json' with {type: 'json'}
import {hostedPage} from './pages/hosted.js'
import {TokenBucket} from './rate-limit.js'
import {CLOCK_DELETION_ORDER, RESOURCES, ROUTES, renderById} from './registry.js'
import type {ApiObject, AdvanceTiming} from './resource.js'
import {COUPONS, type CouponRecord} from './resources/coupons.js'
import {CUSTOMERS, type CustomerRecord} from './resources/customers/record.js'
import {INVOICE_ITEMS, type InvoiceItemRecord} from './resources/invoice-items/record.js'
import {INVOICES, type InvoiceRecord} from './resources/invoices/record.js'
import {PAYMENT_METHODS, type PaymentMethodRecord} from './resources/payment-methods.js'
import {PRICES, type PriceRecord} from './resources/prices.js'
import {PRODUCTS, type ProductRecord} from './resources/products.js'
import {PROMOTION_CODES, type PromotionCodeRecord} from './resources/promotion-codes.js'
import {SUBSCRIPTIONS, type SubscriptionRecord} from './resources/subscriptions/record.js'
import {CLOCKS, type ClockRecord, settleClocks} from './resources/test-clocks.js'
import {type Collection, Store, type StoreChanges} from './store.js'
import {TimeEngine} from './time-engine.js'
import {accountVersion, renderAt, resolveVersion, upgradeRequest} from './versions/index.js'

export type Range = number | readonly [number, number]

/** What an injected fault does: answer 500 unprocessed, drop the connection unprocessed, or process the request and lose its response. */
export type FaultKind = 'server_error' | 'connection_dropped' | 'response_lost'

export interface EmulatorOptions {
  port?: number
  host?: string
  /** Seeds ids, latencies, advance durations and faults: the same seed gives the same run. */
  seed?: number
  /** Added to every response, in ms: fixed or a [min, max] range. */
  latencyMs?: Range
  /** How long an advance takes, in ms (SB-11: undocumented; seconds to minutes on Stripe). */
  advanceMs?: Range
  /** Extra ms per other clock already advancing, as Stripe slows under concurrent advances (SB-11). */
  advancePerConcurrentMs?: number
  /**
   * Extra ms per billing interval of the clock's shortest subscription the advance crosses: its
   * renewals' work, so a two-month advance costs two months of billing (SB-11; default 0).
   */
  advancePerIntervalMs?: number
  /** Account-wide requests per second, as a token bucket's refill rate (SB-6: 25 in test mode); default 0, off (SB-A4). */
  rateLimit?: number
  /** The token bucket's size: how many requests a burst may spend at once (Stripe does not publish it; default one second's worth). */
  rateLimitBurst?: number
  /** The rate limiter's clock in ms (default Date.now): tests freeze it so the bucket never refills mid-test. */
  rateLimitClock?: () => number
  /** Share of requests that meet an injected fault (see faultKinds). */
  faultRate?: number
  /** Which faults faultRate injects, picked evenly; default all three. `response_lost` processes the request (storing its idempotent result) and then drops the connection. */
  faultKinds?: FaultKind[]
  /** Share of advances that end in `internal_failure`. */
  internalFailureRate?: number
  /** Clocks whose name matches end their next advance in `internal_failure`. */
  failClocksNamed?: RegExp
  /** Days after a failed charge when Smart Retries try again (SB-33). */
  retryScheduleDays?: number[]
  /** What a subscription becomes when the retries run out, as the account's settings choose (SB-34); default `cancel`. */
  retriesExhausted?: 'cancel' | 'unpaid' | 'past_due'
  /** Keep a log of every request (method, path, status, latency, idempotency key); default on. A long-running server should turn it off. */
  log?: boolean
  /** Also receives every state change (SB-68), beside the account's event log: tests record them. */
  events?: EventSink
  /** The event log keeps at most this many events, forgetting the oldest (SB-E4: default 100,000). */
  maxEvents?: number
  /** Like `stripe listen --forward-to`: every event, or the listed types, POSTed signed with `webhookSecret` (SB-E9). */
  forwardTo?: ForwardTarget[]
  /** The `whsec_` secret forwarded events are signed with; a fresh one when not given. */
  webhookSecret?: string
  /** Waits before each retry of a failed webhook delivery, ms; its length is the number of retries (SB-E7: default 1 s, 5 s, 30 s). */
  webhookRetryDelaysMs?: readonly number[]
  /** A delivery attempt with no answer in this long fails (SB-E7: default 10 s). */
  webhookTimeoutMs?: number
  /** Called after every webhook delivery attempt (type, URL, status, latency, outcome). */
  onWebhookDelivery?: (entry: DeliveryLogEntry) => void
  /** The account's default API version: for requests without `Stripe-Version`, automatic operations and events (SB-V1, SB-V2); default the version stripe-node pins. */
  apiVersion?: string
  /** The account's default currency, for invoices and invoice items of customers without one (SB-K3); default `usd`. */
  defaultCurrency?: string
  /** An SQLite file that keeps the whole state across restarts (SB-A6); without it, state is in memory only. */
  dataPath?: string
}

/** Empties the account: the emulator's own endpoint, not Stripe's. */
export const RESET_PATH = '/_emulator/reset'

export interface RequestLogEntry {
  at: number
  method: string
  path: string
  /** 0 when the connection was dropped or the response lost. */
  status: number
  latencyMs: number
  idempotencyKey?: string
  /** The test clock the request names (in its path or its test_clock parameter), if any. */
  testClock?: string
  /** The injected fault, if any. */
  fault?: FaultKind
}

export interface AdvanceLogEntry {
  clockId: string
  at: number
  durationMs: number
}

/** The account's records by resource, for tests and benchmarks that look inside. */
export interface EmulatorState {
  clocks: Collection<ClockRecord>
  customers: Collection<CustomerRecord>
  paymentMethods: Collection<PaymentMethodRecord>
  products: Collection<ProductRecord>
  prices: Collection<PriceRecord>
  subscriptions: Collection<SubscriptionRecord>
  invoices: Collection<InvoiceRecord>
  invoiceItems: Collection<InvoiceItemRecord>
  coupons: Collection<CouponRecord>
  promotionCodes: Collection<PromotionCodeRecord>
}

export interface RunningEmulator {
  url: string
  port: number
  engine: EmulatorState
  account: Account
  /** The account's event log, webhook endpoints and deliveries (SB-E1 – SB-E9). */
  events: AccountEvents
  /** The secret forwarded events are signed with. */
  webhookSecret: string
  requestLog: RequestLogEntry[]
  /** Saved idempotent results by key (SB-A2), for tests that look inside. */
  idempotency: ReadonlyMap<string, StoredResponse>
  /** Every advance with the time it was given: what a benchmark's lower bound is made of. */
  advanceLog: AdvanceLogEntry[]
  /** Requests answered so far, whether or not they are logged. */
  requestCount(): number
  /** Empties the account as a fresh start would (also `POST /_emulator/reset`): between test files (SB-A6). */
  reset(): void
  close(): Promise<void>
}

export interface StoredResponse {
  fingerprint: string
  status: number
  body: string
}

/** How a request ended: its answer, whether its changes stand and whether its idempotent result is saved. */
interface Outcome {
  status: number
  payload: string
  error?: ApiError
  commit: boolean
  save: boolean
}

/** An error as Stripe's shape answers it: ours (a bug) becomes a 500. */
function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new ApiError(500, 'api_error', `Emulator bug: ${message}`)
}

function pick(range: Range, random: () => number): number {
  if (typeof range === 'number') return range
  return range[0] + (range[1] - range[0]) * random()
}

const DEFAULTS = {
  port: 12_111,
  host: '127.0.0.1',
  seed: 1,
  latencyMs: 0,
  advanceMs: [500, 1500] as const,
  advancePerConcurrentMs: 20,
  rateLimit: 0,
  faultRate: 0,
  internalFailureRate: 0,
}
const ALL_FAULTS: FaultKind[] = ['server_error', 'connection_dropped', 'response_lost']

/** Starts a Stripe test-mode emulator over HTTP; any Stripe SDK pointed at `url` works unchanged. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const settings = {...DEFAULTS, ...options}
  const random = seededRandom(settings.seed)
  const faults = seededRandom(settings.seed ^ 0x5eed)
  // Its own stream: recording events leaves every other id of a seeded run as it was.
  const eventIds = seededRandom(settings.seed ^ 0xe7e7)
  // With --data, every commit is written here before its request is answered (SB-A6).
  const durable = options.dataPath === undefined ? undefined : await DurableState.open(options.dataPath)
  const faultKinds = settings.faultKinds && settings.faultKinds.length > 0 ? settings.faultKinds : ALL_FAULTS
  const defaultVersion = accountVersion(options.apiVersion)
  const store = new Store()
  const events: AccountEvents = new AccountEvents({
    store,
    apiVersion: defaultVersion,
    // Events are rendered in the account's version, and in each endpoint's own (SB-V2).
    render: (object, version): ApiObject => renderAt(account, object, version),
    random: eventIds,
    wallNow: Date.now,
    ...(options.events ? {observer: options.events} : {}),
    ...(options.maxEvents === undefined ? {} : {maxEvents: options.maxEvents}),
    ...(options.forwardTo ? {forwardTo: options.forwardTo} : {}),
    ...(options.webhookSecret ? {webhookSecret: options.webhookSecret} : {}),
    ...(options.webhookRetryDelaysMs ? {webhookRetryDelaysMs: options.webhookRetryDelaysMs} : {}),
    ...(options.webhookTimeoutMs === undefined ? {} : {webhookTimeoutMs: options.webhookTimeoutMs}),
    ...(options.onWebhookDelivery ? {onDelivery: options.onWebhookDelivery} : {}),
    ...(durable ? {onSettle: (event: EventRecord) => durable.updateEvent(event)} : {}),
  })
  const account: Account = new Account({
    random,
    wallNow: Date.now,
    retryScheduleDays: options.retryScheduleDays ?? DEFAULT_RETRY_SCHEDULE_DAYS,
    retriesExhausted: options.retriesExhausted,
    ...(options.defaultCurrency ? {defaultCurrency: options.defaultCurrency.toLowerCase()} : {}),
    events,
    store,
  })
  account.time = new TimeEngine(RESOURCES)
  account.resources = RESOURCES
  account.clockDeletionOrder = CLOCK_DELETION_ORDER
  account.clockTime = (id) => account.store.of(CLOCKS).get(id)?.frozenTime
  const requestLog: RequestLogEntry[] = []
  const advanceLog: AdvanceLogEntry[] = []
  const logging = settings.log !== false
  const idempotency = new Map<string, StoredResponse>()
  const bucketNow = options.rateLimitClock ?? Date.now
  const bucket =
    settings.rateLimit > 0
      ? new TokenBucket(settings.rateLimit, settings.rateLimitBurst ?? settings.rateLimit, bucketNow())
      : undefined
  let requestCounter = 0
  const counters = {
    get: (): Counters => ({
      seq: account.seqCounter,
      random: random.state,
      faults: faults.state,
      eventIds: eventIds.state,
      requests: requestCounter,
      events: events.log.seqCounter,
    }),
    set: (saved: Counters) => {
      account.seqCounter = saved.seq ?? 0
      random.state = saved.random ?? settings.seed
      faults.state = saved.faults ?? settings.seed ^ 0x5eed
      eventIds.state = saved.eventIds ?? settings.seed ^ 0xe7e7
      requestCounter = saved.requests ?? 0
    },
  }
  const initial = counters.get()
  // Events recorded by the commit under way, for --data.
  const recorded: EventRecord[] = []
  if (durable) {
    events.log.subscribe((event) => recorded.push(event))
    restore(durable.load())
  }
  let answered = 0

  const advance: AdvanceTiming = {
    durationMs: (concurrent, intervals) =>
      pick(settings.advanceMs, random) +
      concurrent * settings.advancePerConcurrentMs +
      Math.round(intervals * (settings.advancePerIntervalMs ?? 0)),
    fails: (clock) =>
      (settings.failClocksNamed !== undefined && clock.name !== null && settings.failClocksNamed.test(clock.name)) ||
      (settings.internalFailureRate > 0 && faults() < settings.internalFailureRate),
    onAdvance: (clock, durationMs) => {
      if (logging) advanceLog.push({clockId: clock.id, at: Date.now(), durationMs})
    },
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now()
    const body = await readBody(req)
    const url = new URL(req.url ?? '/', 'http://emulator')
    const method = (req.method ?? 'GET').toUpperCase()
    const idempotencyKey = method === 'POST' ? headerValue(req, 'idempotency-key') : undefined
    const requestId = `req_${(++requestCounter).toString(36).padStart(14, '0')}`
    const latency = pick(settings.latencyMs, random)
    let testClock: string | undefined = /\/test_clocks\/(clock_\w+)/.exec(url.pathname)?.[1]
    const log = (status: number, fault?: FaultKind) => {
      if (logging)
        requestLog.push({
          at: started,
          method,
          path: url.pathname,
          status,
          latencyMs: Date.now() - started,
          idempotencyKey,
          ...(testClock ? {testClock} : {}),
          ...(fault ? {fault} : {}),
        })
    }
    const respond = (status: number, payload: string, headers: Record<string, string> = {}) => {
      const send = () => {
        if (res.destroyed) return
        answered++
        res.writeHead(status, {'Content-Type': 'application/json', 'Request-Id': requestId, ...headers})
        res.end(payload)
        log(status)
      }
      if (latency > 0) setTimeout(send, latency)
      else send()
    }
    const respondError = (error: ApiError, headers: Record<string, string> = {}) =>
      respond(error.status, errorBody(error), {
        // The SDK retries 5xx by default (SB-4); a 501 for unmodelled behaviour must not be retried.
        ...(error.status === 501 ? {'Stripe-Should-Retry': 'false'} : {}),
        ...headers,
      })
    const drop = (fault: FaultKind) => {
      req.socket.destroy()
      log(0, fault)
    }

    // A readiness probe for scripts: no key needed.
    if (method === 'GET' && url.pathname === '/healthz') return respond(200, JSON.stringify({status: 'ok'}))

    // Checkout's and the portal's pages are the customer's: served without an API key (SB-P1).
    const hosted = hostedPage(account, method, url, body)
    if (hosted) {
      answered++
      res.writeHead(hosted.status, {'Request-Id': requestId, ...hosted.headers}).end(hosted.body)
      return log(hosted.status)
    }

    const auth = authenticate(req)
    if (auth) return respondError(auth)
    // Not Stripe's: empties the account between test files (SB-A6), with any test key.
    if (method === 'POST' && url.pathname === RESET_PATH) {
      reset()
      return respond(200, JSON.stringify({object: 'emulator_reset', reset: true}))
    }

    // Rate limiting runs before anything else, idempotency included (SB-6).
    if (bucket && !bucket.take(bucketNow())) {
      return respondError(
        new ApiError(
          429,
          'invalid_request_error',
          'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
          'rate_limit',
        ),
        {'Stripe-Rate-Limited-Reason': 'global-rate'},
      )
    }
    const fault =
      settings.faultRate > 0 && faults() < settings.faultRate
        ? faultKinds[Math.floor(faults() * faultKinds.length)]
        : undefined
    if (fault === 'connection_dropped') return drop(fault)
    if (fault === 'server_error')
      return respondError(new ApiError(500, 'api_error', 'An unknown error occurred (injected by the emulator).'))

    let params: Record<string, unknown>
    try {
      params = parseParams(method === 'POST' ? body : url.search.slice(1))
    } catch {
      return respondError(
        new ApiError(
          400,
          'invalid_request_error',
          'Invalid request: the body could not be parsed as form-encoded parameters.',
        ),
      )
    }
    if (typeof params.test_clock === 'string') testClock = params.test_clock
    const fingerprint = createHash('sha256').update(`${method} ${url.pathname} ${body}`).digest('hex')
    if (idempotencyKey) {
      // Same key and same request replays the first answer; different parameters are refused (SB-5).
      const stored = idempotency.get(idempotencyKey)
      if (stored && stored.fingerprint !== fingerprint) {
        return respondError(
          new ApiError(
            400,
            'idempotency_error',
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          ),
        )
      }
      if (stored) return respond(stored.status, stored.body, {'Idempotent-Replayed': 'true'})
    }

    // Due advances complete first: billing that was due stands whatever the request does.
    try {
      settle()
    } catch (error) {
      return respondError(asApiError(error))
    }
    const outcome = execute({id: requestId, idempotencyKey: idempotencyKey ?? null}, method, fingerprint, () => {
      const expand = expandPaths(params.expand)
      delete params.expand
      if (expand.length > 0) params.expand = expand
      // The request's version: old-shape requests move forward, the response goes back (SB-V1, SB-V5).
      const version = resolveVersion(headerValue(req, 'stripe-version'), defaultVersion)
      const request = upgradeRequest(version, {method, path: url.pathname, params})
      const matched = findRoute(request.method, request.path)
      if (!matched) throw unroutable(request.method, request.path)
      const result = matched.route.handle({
        account,
        params: request.params,
        path: request.path,
        ids: matched.ids,
        advance,
        apiVersion: version,
      })
      const present = (object: ApiObject) => renderAt(account, object, version)
      return JSON.stringify(expandObject(account, renderAt(account, result, version, request), expand, present))
    })
    if (outcome.error?.status === 501) return respondError(outcome.error)
    if (fault === 'response_lost') return drop(fault)
    respond(outcome.status, outcome.payload)
  }

  /**
   * One request as one transaction (SB-A1): it commits when the route succeeds, or fails with
   * changes that stand (SB-A3); any other error leaves the account as it was. Its idempotent
   * result is saved in the same commit, when Stripe would save one (SB-A2).
   */
  function execute(
    request: NonNullable<Account['request']>,
    method: string,
    fingerprint: string,
    work: () => string,
  ): Outcome {
    let outcome: Outcome
    account.request = request
    // GETs are reads (Stripe's GET endpoints change nothing): no journal to keep.
    const journaled = method !== 'GET'
    if (journaled) account.begin()
    try {
      const payload = work()
      // A preview answers, then leaves the account as it was, its idempotent result included (SB-U12).
      const discard = account.discardsChanges
      outcome = {status: 200, payload, commit: !discard, save: !discard}
    } catch (thrown) {
      const error = asApiError(thrown)
      outcome = {
        status: error.status,
        payload: errorBody(error),
        error,
        commit: account.keepsChanges,
        // Refused parameters (invalid_request_error) save nothing; an endpoint that ran saves even its 500 (SB-A2).
        save: error.type === 'card_error' || (error.type === 'api_error' && error.status !== 501),
      }
    } finally {
      account.request = null
    }
    const key = request.idempotencyKey
    const saved =
      key !== null && outcome.save
        ? {key, response: {fingerprint, status: outcome.status, body: outcome.payload}}
        : undefined
    if (journaled) finish(outcome.commit, saved)
    else if (saved) idempotency.set(saved.key, saved.response)
    return outcome
  }

  /** Completes due advances in a transaction of their own, kept even if it throws: the time engine's work is no request's (SB-A1). */
  function settle(): void {
    account.begin()
    try {
      settleClocks(account)
    } finally {
      finish(true)
    }
  }

  /** Ends the open transaction: commits (and, with --data, writes it durably before anyone is answered) or rolls back. */
  function finish(commit: boolean, saved?: {key: string; response: StoredResponse}): void {
    let changes: StoreChanges = {records: [], indexes: []}
    if (commit) changes = account.commit(durable !== undefined)
    else account.rollback()
    if (saved) idempotency.set(saved.key, saved.response)
    durable?.write({
      changes,
      events: recorded.splice(0),
      oldestEventSeq: events.log.oldestSeq,
      ...(saved ? {idempotency: saved} : {}),
      counters: counters.get(),
    })
  }

  /** Puts back the state --data kept: records, indexes, events, idempotent results, counters. */
  function restore(kept: DurableContents): void {
    for (const record of kept.records)
      if (record.json !== null)
        store.collection(record.collection, record.noun).restore(record.id, JSON.parse(record.json))
    for (const index of kept.indexes) if (index.ids) store.index(index.index).restore(index.key, index.ids)
    // A delivery under way when the emulator stopped is not resumed: it counts as given up (SB-A6).
    for (const event of kept.events) {
      event.failedWebhooks += event.pendingWebhooks
      event.pendingWebhooks = 0
    }
    events.log.restore(kept.events, kept.counters?.events ?? 0)
    for (const [key, response] of kept.idempotency) idempotency.set(key, response)
    if (kept.counters) counters.set(kept.counters)
  }

  /** Empties the account, as a fresh emulator with the same options starts (SB-A6): between test files. */
  function reset(): void {
    store.clear()
    events.log.restore([], 0)
    idempotency.clear()
    counters.set(initial)
    requestLog.length = 0
    advanceLog.length = 0
    durable?.reset()
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, {'Content-Type': 'application/json'})
      res.end(JSON.stringify({error: {type: 'api_error', message: `Emulator bug: ${String(error)}`}}))
    })
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(settings.port, settings.host, () => resolve())
  }).catch((error: unknown) => {
    durable?.close()
    throw error
  })
  const address = server.address() as AddressInfo
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host
  serveInternally(account, {routes: ROUTES, advance, baseUrl: `http://${host}:${address.port}`})
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    engine: {
      clocks: store.of(CLOCKS),
      customers: store.of(CUSTOMERS),
      paymentMethods: store.of(PAYMENT_METHODS),
      products: store.of(PRODUCTS),
      prices: store.of(PRICES),
      subscriptions: store.of(SUBSCRIPTIONS),
      invoices: store.of(INVOICES),
      invoiceItems: store.of(INVOICE_ITEMS),
      coupons: store.of(COUPONS),
      promotionCodes: store.of(PROMOTION_CODES),
    },
    account,
    events,
    webhookSecret: events.forwardingSecret,
    requestLog,
    idempotency,
    advanceLog,
    requestCount: () => answered,
    reset,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
      await events.close()
      durable?.close()
    },
  }
}

/** Stripe's error shape, the same for every error the emulator answers (or replays). */
function errorBody(error: ApiError): string {
  const docUrl = error.code ? `https://stripe.com/docs/error-codes/${error.code.replaceAll('_', '-')}` : undefined
  return JSON.stringify({
    error: {
      type: error.type,
      code: error.code,
      message: error.message,
      param: error.param,
      ...(error.declineCode ? {decline_code: error.declineCode} : {}),
      request_log_url: null,
      doc_url: docUrl,
    },
  })
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** Bearer or Basic (curl -u sk_test_…:) as Stripe accepts; test-mode secret or restricted keys only. */
function authenticate(req: IncomingMessage): ApiError | undefined {
  const header = headerValue(req, 'authorization') ?? ''
  let key = ''
  if (header.startsWith('Bearer ')) key = header.slice(7).trim()
  else if (header.startsWith('Basic '))
    key = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0] ?? ''
  if (!key) {
    return new ApiError(
      401,
      'invalid_request_error',
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    )
  }
  if (/^(sk|rk)_live_/.test(key))
    return new ApiError(
      401,
      'invalid_request_error',
      'This emulator is test mode only: live-mode keys are refused.',
      'api_key_expired',
    )
  // Stripe.js's own calls (a publishable key with a client secret) are not modelled: the app's server confirms instead (SB-K8).
  if (/^pk_test_/.test(key))
    return notModelled(
      'publishable-key (pk_test_…) requests, as Stripe.js makes with a client secret; confirm the PaymentIntent or SetupIntent from your server with a secret key',
    )
  if (!/^(sk|rk)_test_/.test(key))
    return new ApiError(
      401,
      'invalid_request_error',
      `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`,
    )
  return undefined
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/** Stripe's bracket notation: `items[0][price]=…`, `expand[]=…`, `metadata[k]=v`. */
function parseParams(text: string): Record<string, unknown> {
  return qs.parse(text, {depth: 10, arrayLimit: 1000, parameterLimit: 10_000, allowDots: false})
}

/** Stripe endpoints the SDK calls (scripts/extract-endpoints-and-events.mjs), as `METHOD` + path pattern. */
const STRIPE_ENDPOINTS = stripeEndpoints.map((endpoint) => {
  const [method = '', path = ''] = endpoint.split(' ')
  return {endpoint, method, pattern: new RegExp(`^${path.replaceAll('{id}', '[^/]+')}$`)}
})

/** A real Stripe endpoint the emulator has no route for is refused by name (SB-1); anything else is Stripe's 404. */
function unroutable(method: string, path: string): ApiError {
  const known = STRIPE_ENDPOINTS.find((endpoint) => endpoint.method === method && endpoint.pattern.test(path))
  if (known) return notModelled(`the endpoint ${known.endpoint}`)
  return new ApiError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}).`)
}

/** Stripe's fixed paths (`/v1/invoices/create_preview`): never taken for an id by a `/:id` route. */
const FIXED_ENDPOINTS = new Set(stripeEndpoints.filter((endpoint) => !endpoint.includes('{id}')))

function findRoute(method: string, path: string) {
  const fixed = FIXED_ENDPOINTS.has(`${method} ${path}`)
  for (const route of ROUTES) {
    if (route.method !== method) continue
    const match = route.pattern.exec(path)
    if (match && !(fixed && match.length > 1)) return {route, ids: match.slice(1).map(decodeURIComponent)}
  }
  return undefined
}

function expandPaths(value: unknown): string[] {
  if (value === undefined) return []
  const list = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null
      ? Object.values(value)
      : [value]
  return list.filter((item): item is string => typeof item === 'string')
}

type Present = (object: ApiObject) => ApiObject

/**
 * Replaces ids with their objects along each `expand[]` path (`data.` applies to every list entry).
 * Each object put in is `present`ed in the request's API version first, so old-shape paths resolve (SB-V18).
 */
function expandObject(account: Account, object: ApiObject, paths: string[], present: Present): ApiObject {
  for (const path of paths) expandPath(account, object, path.split('.'), path, present)
  return object
}

function expandPath(account: Account, node: unknown, segments: string[], full: string, present: Present): void {
  if (typeof node !== 'object' || node === null || segments.length === 0) return
  const [head, ...rest] = segments as [string, ...string[]]
  const holder = node as Record<string, unknown>
  if (head === 'data' && Array.isArray(holder.data)) {
    for (const item of holder.data) expandPath(account, item, rest, full, present)
    return
  }
  if (!(head in holder)) {
    const include = RESOURCES.find((resource) => resource.object === holder.object)?.includable?.[head]
    if (!include || typeof holder.id !== 'string')
      throw new ApiError(
        400,
        'invalid_request_error',
        `This property cannot be expanded (${full}).`,
        undefined,
        'expand',
      )
    const included = include(account, holder.id)
    // An included object (a list, a cash balance) is rendered in the request's version; a bare array or map is not an object.
    holder[head] =
      typeof included === 'object' && included !== null && !Array.isArray(included) && 'object' in included
        ? present(included)
        : included
  }
  const value = holder[head]
  const expand = (id: unknown) => {
    if (typeof id !== 'string') return id
    const found = renderById(account, id)
    if (!found)
      throw new ApiError(
        400,
        'invalid_request_error',
        `This property cannot be expanded (${full}).`,
        undefined,
        'expand',
      )
    return present(found)
  }
  holder[head] = Array.isArray(value) ? value.map(expand) : expand(value)
  const next = holder[head]
  if (Array.isArray(next)) for (const item of next) expandPath(account, item, rest, full, present)
  else expandPath(account, next, rest, full, present)
}
