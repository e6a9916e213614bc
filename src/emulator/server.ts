import {createHash} from 'node:crypto'
import {type IncomingMessage, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import qs from 'qs'

import {seededRandom} from '../random.js'
import {ApiError, DEFAULT_RETRY_SCHEDULE_DAYS, Engine} from './engine.js'
import type {ApiObject} from './render.js'
import {renderClock, renderCustomer, renderInvoice, renderPaymentMethod, renderPrice, renderProduct, renderSubscription} from './render.js'
import {ROUTES, settleClocks} from './routes.js'

export type Range = number | readonly [number, number]

export interface EmulatorOptions {
  port?: number
  host?: string
  /** Seeds ids, latencies, advance durations and faults: the same seed gives the same run. */
  seed?: number
  /** Added to every response, in ms: fixed or a [min, max] range. */
  latencyMs?: Range
  /** How long an advance takes, in ms (#6: undocumented; seconds to minutes on Stripe). */
  advanceMs?: Range
  /** Extra ms per other clock already advancing, as Stripe slows under concurrent advances (#6). */
  advancePerConcurrentMs?: number
  /** Account-wide requests per second before 429s (#12: 25 in test mode); 0 turns it off. */
  rateLimit?: number
  /** Share of requests answered 500 or with a dropped connection, before any processing. */
  faultRate?: number
  /** Share of advances that end in `internal_failure`. */
  internalFailureRate?: number
  /** Clocks whose name matches end their next advance in `internal_failure`. */
  failClocksNamed?: RegExp
  /** Days after a failed charge when Smart Retries try again (#32). */
  retryScheduleDays?: number[]
  /** Keep a log of every request (method, path, status, latency, idempotency key); default on. A long-running server should turn it off. */
  log?: boolean
}

export interface RequestLogEntry {
  at: number
  method: string
  path: string
  status: number
  latencyMs: number
  idempotencyKey?: string
  /** The test clock the request names (in its path or its test_clock parameter), if any. */
  testClock?: string
}

export interface AdvanceLogEntry {
  clockId: string
  at: number
  durationMs: number
}

export interface RunningEmulator {
  url: string
  port: number
  engine: Engine
  requestLog: RequestLogEntry[]
  /** Every advance with the time it was given: what a benchmark's lower bound is made of. */
  advanceLog: AdvanceLogEntry[]
  /** Requests answered so far, whether or not they are logged. */
  requestCount(): number
  close(): Promise<void>
}

interface StoredResponse {
  fingerprint: string
  status: number
  body: string
}

function pick(range: Range, random: () => number): number {
  if (typeof range === 'number') return range
  return range[0] + (range[1] - range[0]) * random()
}

const DEFAULTS = {port: 12_111, host: '127.0.0.1', seed: 1, latencyMs: 0, advanceMs: [500, 1500] as const, advancePerConcurrentMs: 20, rateLimit: 25, faultRate: 0, internalFailureRate: 0}

/** Starts a Stripe test-mode emulator over HTTP; any Stripe SDK pointed at `url` works unchanged. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const settings = {...DEFAULTS, ...options}
  const random = seededRandom(settings.seed)
  const faults = seededRandom(settings.seed ^ 0x5eed)
  const engine = new Engine({random, wallNow: Date.now, retryScheduleDays: options.retryScheduleDays ?? DEFAULT_RETRY_SCHEDULE_DAYS})
  const requestLog: RequestLogEntry[] = []
  const advanceLog: AdvanceLogEntry[] = []
  const onAdvance = (clock: {id: string}, durationMs: number) => {
    if (settings.log !== false) advanceLog.push({clockId: clock.id, at: Date.now(), durationMs})
  }
  const idempotency = new Map<string, StoredResponse>()
  const recent: number[] = [] // request times in the last second, for the rate limit
  let requestCounter = 0
  let answered = 0

  const advanceDurationMs = (concurrent: number) => pick(settings.advanceMs, random) + concurrent * settings.advancePerConcurrentMs
  const failAdvance = (clock: {name: string | null}) =>
    (settings.failClocksNamed !== undefined && clock.name !== null && settings.failClocksNamed.test(clock.name)) || (settings.internalFailureRate > 0 && faults() < settings.internalFailureRate)

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now()
    const body = await readBody(req)
    const url = new URL(req.url ?? '/', 'http://emulator')
    const method = (req.method ?? 'GET').toUpperCase()
    const idempotencyKey = method === 'POST' ? headerValue(req, 'idempotency-key') : undefined
    const requestId = `req_${(++requestCounter).toString(36).padStart(14, '0')}`
    const latency = pick(settings.latencyMs, random)

    let testClock: string | undefined = /\/test_clocks\/(clock_\w+)/.exec(url.pathname)?.[1]
    const respond = (status: number, payload: string, headers: Record<string, string> = {}) => {
      const send = () => {
        if (res.destroyed) return
        answered++
        res.writeHead(status, {'Content-Type': 'application/json', 'Request-Id': requestId, ...headers})
        res.end(payload)
        if (settings.log !== false) requestLog.push({at: started, method, path: url.pathname, status, latencyMs: Date.now() - started, idempotencyKey, ...(testClock ? {testClock} : {})})
      }
      if (latency > 0) setTimeout(send, latency)
      else send()
    }
    const respondError = (error: ApiError) =>
      respond(error.status, errorBody(error), {
        // The SDK retries 5xx by default (#14); a 501 for unmodelled behaviour must not be retried.
        ...(error.status === 501 ? {'Stripe-Should-Retry': 'false'} : {}),
      })

    const auth = authenticate(req)
    if (auth) return respondError(auth)

    // Rate limiting runs before anything else, idempotency included (#16).
    if (settings.rateLimit > 0) {
      while (recent.length > 0 && (recent[0] ?? 0) <= started - 1000) recent.shift()
      if (recent.length >= settings.rateLimit) {
        return respondError(new ApiError(429, 'invalid_request_error', 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.', 'rate_limit'))
      }
      recent.push(started)
    }
    if (settings.faultRate > 0 && faults() < settings.faultRate) {
      if (faults() < 0.5) {
        req.socket.destroy()
        if (settings.log !== false) requestLog.push({at: started, method, path: url.pathname, status: 0, latencyMs: 0, idempotencyKey})
        return
      }
      return respondError(new ApiError(500, 'api_error', 'An unknown error occurred (injected by the emulator).'))
    }

    let params: Record<string, unknown>
    try {
      params = parseParams(method === 'POST' ? body : url.search.slice(1))
    } catch {
      return respondError(new ApiError(400, 'invalid_request_error', 'Invalid request: the body could not be parsed as form-encoded parameters.'))
    }
    if (typeof params.test_clock === 'string') testClock = params.test_clock
    const fingerprint = createHash('sha256').update(`${method} ${url.pathname} ${body}`).digest('hex')
    if (idempotencyKey) {
      // Same key and same request replays the first answer; different parameters are refused (#17).
      const stored = idempotency.get(idempotencyKey)
      if (stored && stored.fingerprint !== fingerprint) {
        return respondError(new ApiError(400, 'idempotency_error', `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`))
      }
      if (stored) return respond(stored.status, stored.body, {'Idempotent-Replayed': 'true'})
    }

    let status = 200
    let payload: string
    try {
      settleClocks(engine)
      const matched = findRoute(method, url.pathname)
      if (!matched) throw new ApiError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${url.pathname}).`)
      const expand = expandPaths(params.expand)
      delete params.expand
      if (expand.length > 0) params.expand = expand
      const result = matched.route.handle({engine, params, path: url.pathname, ids: matched.ids, advanceDurationMs, failAdvance, onAdvance})
      payload = JSON.stringify(expandObject(engine, result, expand))
    } catch (error) {
      if (!(error instanceof ApiError)) {
        const message = error instanceof Error ? error.message : String(error)
        return respondError(new ApiError(500, 'api_error', `Emulator bug: ${message}`))
      }
      if (error.status === 501) return respondError(error)
      status = error.status
      payload = errorBody(error)
    }
    // Stripe saves the result of a request that was processed, errors included (#17).
    if (idempotencyKey) idempotency.set(idempotencyKey, {fingerprint, status, body: payload})
    respond(status, payload)
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
  })
  const address = server.address() as AddressInfo
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    engine,
    requestLog,
    advanceLog,
    requestCount: () => answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Stripe's error shape, the same for every error the emulator answers (or replays). */
function errorBody(error: ApiError): string {
  const docUrl = error.code ? `https://stripe.com/docs/error-codes/${error.code.replaceAll('_', '-')}` : undefined
  return JSON.stringify({error: {type: error.type, code: error.code, message: error.message, param: error.param, request_log_url: null, doc_url: docUrl}})
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
  else if (header.startsWith('Basic ')) key = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0] ?? ''
  if (!key) {
    return new ApiError(401, 'invalid_request_error', 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').')
  }
  if (/^(sk|rk)_live_/.test(key)) return new ApiError(401, 'invalid_request_error', 'This emulator is test mode only: live-mode keys are refused.', 'api_key_expired')
  if (!/^(sk|rk)_test_/.test(key)) return new ApiError(401, 'invalid_request_error', `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`)
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
  return qs.parse(text, {depth: 10, arrayLimit: 1000, parameterLimit: 10_000, allowDots: false}) as Record<string, unknown>
}

function findRoute(method: string, path: string) {
  for (const route of ROUTES) {
    if (route.method !== method) continue
    const match = route.pattern.exec(path)
    if (match) return {route, ids: match.slice(1).map(decodeURIComponent)}
  }
  return undefined
}

function expandPaths(value: unknown): string[] {
  if (value === undefined) return []
  const list = Array.isArray(value) ? value : typeof value === 'object' && value !== null ? Object.values(value) : [value]
  return list.filter((item): item is string => typeof item === 'string')
}

/** Replaces ids with their objects along each `expand[]` path (`data.` applies to every list entry). */
function expandObject(engine: Engine, object: ApiObject, paths: string[]): ApiObject {
  for (const path of paths) expandPath(engine, object, path.split('.'), path)
  return object
}

function expandPath(engine: Engine, node: unknown, segments: string[], full: string): void {
  if (typeof node !== 'object' || node === null || segments.length === 0) return
  const [head, ...rest] = segments as [string, ...string[]]
  const holder = node as Record<string, unknown>
  if (head === 'data' && Array.isArray(holder.data)) {
    for (const item of holder.data) expandPath(engine, item, rest, full)
    return
  }
  if (!(head in holder)) throw new ApiError(400, 'invalid_request_error', `This property cannot be expanded (${full}).`, undefined, 'expand')
  const value = holder[head]
  if (typeof value === 'string') {
    const expanded = lookup(engine, value)
    if (!expanded) throw new ApiError(400, 'invalid_request_error', `This property cannot be expanded (${full}).`, undefined, 'expand')
    holder[head] = expanded
  }
  expandPath(engine, holder[head], rest, full)
}

function lookup(engine: Engine, id: string): ApiObject | undefined {
  const clock = engine.clocks.get(id)
  if (clock) return renderClock(clock)
  const customer = engine.customers.get(id)
  if (customer) return renderCustomer(customer)
  const sub = engine.subscriptions.get(id)
  if (sub) return renderSubscription(engine, sub)
  const invoice = engine.invoices.get(id)
  if (invoice) return renderInvoice(engine, invoice)
  const price = engine.prices.get(id)
  if (price) return renderPrice(price)
  const product = engine.products.get(id)
  if (product) return renderProduct(product)
  const pm = engine.paymentMethods.get(id)
  if (pm) return renderPaymentMethod(pm)
  return undefined
}
