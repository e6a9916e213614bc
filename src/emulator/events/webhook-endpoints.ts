import {randomBytes} from 'node:crypto'

import {ApiError, notModelled} from '../errors.js'
import {type Metadata, type Raw, bool, checkParams, mergeMetadata, optStr, required, str, strArray} from '../params.js'
import {Collection} from '../store.js'
import {type ApiVersion, LATEST_VERSION, resolveVersion} from '../versions/registry.js'
import {randomId} from './event-log.js'
import eventTypes from './event-types.json' with {type: 'json'}

type ApiObject = Record<string, unknown>

const KNOWN_EVENT_TYPES = new Set<string>(eventTypes)

/** Where events are POSTed, signed with `secret`: a registered endpoint or a `--forward-to` target. */
export interface DeliveryTarget {
  /** Stable across updates: the endpoint id, or `forward:<n>`. */
  key: string
  url: string
  secret: string
  /** The version its events are rendered in; null for the account's default (SB-V2). */
  apiVersion: ApiVersion | null
  accepts(type: string): boolean
}

export interface WebhookEndpointRecord {
  id: string
  url: string
  enabledEvents: string[]
  description: string | null
  metadata: Metadata
  disabled: boolean
  /** Null: events are rendered in the account's version (fixtures3.json shows null when none was asked for). */
  apiVersion: ApiVersion | null
  secret: string
  created: number
  seq: number
}

/** One of Stripe's event types, as the SDK lists them. */
export function isEventType(type: string): boolean {
  return KNOWN_EVENT_TYPES.has(type)
}

/** `enabled_events`: exact names, or `*` for every event (SB-E5). */
export function acceptsEvent(enabled: readonly string[], type: string): boolean {
  return enabled.includes('*') || enabled.includes(type)
}

/** A `whsec_` signing secret: random, since it is a secret even against a local emulator. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`
}

/** The account's webhook endpoints (`/v1/webhook_endpoints`, SB-E5). */
export class WebhookEndpoints {
  private readonly records: Collection<WebhookEndpointRecord>

  constructor(
    private readonly options: {
      random: () => number
      wallNow: () => number
      /** Where the endpoints live: the account's store, so requests on them are atomic and --data keeps them. */
      records?: Collection<WebhookEndpointRecord>
    },
  ) {
    this.records = options.records ?? new Collection('webhook endpoint')
  }

  /** Enabled endpoints as delivery targets, in creation order. */
  targets(): DeliveryTarget[] {
    return [...this.records.values()].filter((endpoint) => !endpoint.disabled).map(asTarget)
  }

  /** The target behind `key` as it is now, or undefined once deleted or disabled. */
  target(key: string): DeliveryTarget | undefined {
    const endpoint = this.records.get(key)
    return endpoint && !endpoint.disabled ? asTarget(endpoint) : undefined
  }

  create(params: Raw): ApiObject {
    checkParams(
      params,
      'WebhookEndpointCreateParams',
      ['api_version', 'connect', 'description', 'enabled_events', 'expand', 'metadata', 'url'],
      'POST /v1/webhook_endpoints',
    )
    if (params.connect !== undefined && bool(params.connect, 'connect'))
      throw notModelled('Connect webhook endpoints (`connect=true`)')
    // Its events are rendered in this version from now on (SB-V2); Stripe's 400 for one it does not know.
    const apiVersion =
      params.api_version === undefined ? null : resolveVersion(str(params.api_version, 'api_version'), LATEST_VERSION)
    const endpoint: WebhookEndpointRecord = {
      id: randomId('we_', this.options.random),
      url: endpointUrl(required(params, 'url')),
      enabledEvents: enabledEvents(required(params, 'enabled_events')),
      description: optStr(params.description, 'description') ?? null,
      metadata: mergeMetadata({}, params.metadata),
      disabled: false,
      apiVersion,
      secret: newSigningSecret(),
      created: Math.floor(this.options.wallNow() / 1000),
      seq: 1 + Math.max(0, ...[...this.records.values()].map((other) => other.seq)),
    }
    this.records.set(endpoint.id, endpoint)
    // The secret is in the create response only (fact 90).
    return {...renderEndpoint(endpoint), secret: endpoint.secret}
  }

  retrieve(id: string, params: Raw): ApiObject {
    checkParams(params, 'WebhookEndpointRetrieveParams', ['expand'], 'GET /v1/webhook_endpoints/{id}')
    return renderEndpoint(this.require(id))
  }

  update(id: string, params: Raw): ApiObject {
    checkParams(
      params,
      'WebhookEndpointUpdateParams',
      ['description', 'disabled', 'enabled_events', 'expand', 'metadata', 'url'],
      'POST /v1/webhook_endpoints/{id}',
    )
    const endpoint = this.require(id)
    if (params.url !== undefined) endpoint.url = endpointUrl(params.url)
    if (params.enabled_events !== undefined) endpoint.enabledEvents = enabledEvents(params.enabled_events)
    if (params.description !== undefined) endpoint.description = optStr(params.description, 'description') ?? null
    if (params.disabled !== undefined) endpoint.disabled = bool(params.disabled, 'disabled')
    endpoint.metadata = mergeMetadata(endpoint.metadata, params.metadata)
    return renderEndpoint(endpoint)
  }

  /** Every endpoint, enabled or not, for listing. */
  all(): Iterable<WebhookEndpointRecord> {
    return this.records.values()
  }

  delete(id: string, params: Raw): ApiObject {
    checkParams(params, 'WebhookEndpointDeleteParams', [], 'DELETE /v1/webhook_endpoints/{id}')
    const endpoint = this.require(id)
    this.records.delete(endpoint.id)
    return {id: endpoint.id, object: 'webhook_endpoint', deleted: true}
  }

  private require(id: string): WebhookEndpointRecord {
    const endpoint = this.records.get(id)
    if (!endpoint)
      throw new ApiError(404, 'invalid_request_error', `No such webhook endpoint: '${id}'`, 'resource_missing', 'id')
    return endpoint
  }
}

/** Field for field as fixtures3.json's `webhook_endpoint`; never the secret. */
export function renderEndpoint(endpoint: WebhookEndpointRecord): ApiObject {
  return {
    id: endpoint.id,
    object: 'webhook_endpoint',
    api_version: endpoint.apiVersion,
    application: null,
    created: endpoint.created,
    description: endpoint.description,
    enabled_events: [...endpoint.enabledEvents],
    livemode: false,
    metadata: {...endpoint.metadata},
    status: endpoint.disabled ? 'disabled' : 'enabled',
    url: endpoint.url,
  }
}

function asTarget(endpoint: WebhookEndpointRecord): DeliveryTarget {
  const events = endpoint.enabledEvents
  return {
    key: endpoint.id,
    url: endpoint.url,
    secret: endpoint.secret,
    apiVersion: endpoint.apiVersion,
    accepts: (type) => acceptsEvent(events, type),
  }
}

/** An http(s) URL; test mode accepts plain http, so a local receiver works. */
function endpointUrl(value: unknown): string {
  const text = str(value, 'url')
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ApiError(400, 'invalid_request_error', `Invalid URL: ${text}`, 'url_invalid', 'url')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ApiError(
      400,
      'invalid_request_error',
      `Invalid URL: ${text}: must be http or https`,
      'url_invalid',
      'url',
    )
  return text
}

/** A non-empty list of Stripe's event types (the SDK's own list), or `*`. */
function enabledEvents(value: unknown): string[] {
  const list = strArray(value, 'enabled_events')
  if (list.length === 0)
    throw new ApiError(
      400,
      'invalid_request_error',
      'enabled_events must contain at least one event type.',
      undefined,
      'enabled_events',
    )
  list.forEach((type, index) => {
    if (type !== '*' && !isEventType(type)) {
      throw new ApiError(
        400,
        'invalid_request_error',
        `Invalid enabled_events[${index}]: '${type}' is not an event type (use '*' for all events).`,
        undefined,
        `enabled_events[${index}]`,
      )
    }
  })
  return [...new Set(list)]
}
