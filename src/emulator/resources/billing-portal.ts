import type Stripe from 'stripe'
import type {Account} from '../account.js'
import {internalApi, internalRequest} from '../dispatch.js'
import {ApiError, invalid} from '../errors.js'
import {
  type Metadata,
  type Raw,
  bool,
  checkNested,
  checkParams,
  mergeMetadata,
  objectArray,
  oneOf,
  optStr,
  required,
  str,
  strArray,
} from '../params.js'
import {COMMON, PAGINATION, type Resource, filter, list, route, updating} from '../resource.js'
import {collectionKey} from '../store.js'
import type {Wire} from '../wire.js'

export type PortalProration = 'always_invoice' | 'create_prorations' | 'none'

export interface PortalFeatures {
  invoiceHistory: boolean
  paymentMethodUpdate: boolean
  subscriptionCancel: {enabled: boolean; mode: 'at_period_end' | 'immediately'; prorationBehavior: PortalProration}
  subscriptionUpdate: {
    enabled: boolean
    defaultAllowedUpdates: string[]
    products: Array<{product: string; prices: string[]}>
    prorationBehavior: PortalProration
  }
}

export interface PortalConfigurationRecord {
  id: string
  created: number
  updated: number
  active: boolean
  name: string | null
  defaultReturnUrl: string | null
  businessProfile: {headline: string | null; privacyPolicyUrl: string | null; termsOfServiceUrl: string | null}
  features: PortalFeatures
  metadata: Metadata
  seq: number
}

export interface PortalSessionRecord {
  id: string
  created: number
  customer: string
  configuration: string
  returnUrl: string | null
  seq: number
}

export const PORTAL_CONFIGURATIONS = collectionKey<PortalConfigurationRecord>(
  'portalConfigurations',
  'billing_portal.configuration',
)
export const PORTAL_SESSIONS = collectionKey<PortalSessionRecord>('portalSessions', 'billing_portal.session')

export function renderPortalConfiguration(config: PortalConfigurationRecord): Wire<Stripe.BillingPortal.Configuration> {
  const {features} = config
  return {
    id: config.id,
    object: 'billing_portal.configuration',
    active: config.active,
    application: null,
    business_profile: {
      headline: config.businessProfile.headline,
      privacy_policy_url: config.businessProfile.privacyPolicyUrl,
      terms_of_service_url: config.businessProfile.termsOfServiceUrl,
    },
    created: config.created,
    default_return_url: config.defaultReturnUrl,
    features: {
      customer_update: {allowed_updates: [], enabled: false},
      invoice_history: {enabled: features.invoiceHistory},
      payment_method_update: {enabled: features.paymentMethodUpdate, payment_method_configuration: null},
      subscription_cancel: {
        cancellation_reason: {enabled: false, feedback_options: null, options: []},
        enabled: features.subscriptionCancel.enabled,
        mode: features.subscriptionCancel.mode,
        proration_behavior: features.subscriptionCancel.prorationBehavior,
      },
      subscription_update: {
        billing_cycle_anchor: null,
        default_allowed_updates: features.subscriptionUpdate.defaultAllowedUpdates,
        enabled: features.subscriptionUpdate.enabled,
        products: features.subscriptionUpdate.products.map((entry) => ({
          adjustable_quantity: {enabled: false, maximum: null, minimum: 1},
          prices: entry.prices,
          product: entry.product,
        })),
        proration_behavior: features.subscriptionUpdate.prorationBehavior,
        schedule_at_period_end: {conditions: []},
        trial_update_behavior: 'end_trial',
      },
      // Portal pauses are not modelled, so the feature is always off.
      subscription_pause: {duration: {interval_options: [], type: 'indefinite'}, enabled: false},
    },
    is_default: false,
    livemode: false,
    login_page: {enabled: false, url: null},
    metadata: config.metadata,
    name: config.name,
    updated: config.updated,
  }
}

export function portalUrl(account: Account, id: string): string {
  return `${internalApi(account).baseUrl}/portal/${id}`
}

export function renderPortalSession(
  account: Account,
  session: PortalSessionRecord,
): Wire<Stripe.BillingPortal.Session> {
  return {
    id: session.id,
    object: 'billing_portal.session',
    configuration: session.configuration,
    created: session.created,
    customer: session.customer,
    customer_account: null,
    flow: null,
    livemode: false,
    locale: null,
    on_behalf_of: null,
    return_url: session.returnUrl,
    url: portalUrl(account, session.id),
  }
}

const PRORATIONS = ['always_invoice', 'create_prorations', 'none'] as const
const ENDPOINT_CREATE = 'POST /v1/billing_portal/configurations'

/** The configuration's features as given (create) or changed (update), checked like Stripe's (SB-P9). */
function readFeatures(account: Account, raw: unknown, current: PortalFeatures, endpoint: string): PortalFeatures {
  const given = checkNested(
    raw,
    'features',
    ['customer_update', 'invoice_history', 'payment_method_update', 'subscription_cancel', 'subscription_update'],
    ['invoice_history', 'payment_method_update', 'subscription_cancel', 'subscription_update'],
    endpoint,
  )
  const next: PortalFeatures = structuredClone(current)
  if (given.invoice_history !== undefined) {
    const f = checkNested(given.invoice_history, 'features[invoice_history]', ['enabled'], ['enabled'], endpoint)
    next.invoiceHistory = bool(required(f, 'enabled'), 'features[invoice_history][enabled]')
  }
  if (given.payment_method_update !== undefined) {
    const f = checkNested(
      given.payment_method_update,
      'features[payment_method_update]',
      ['enabled', 'payment_method_configuration'],
      ['enabled'],
      endpoint,
    )
    next.paymentMethodUpdate = bool(required(f, 'enabled'), 'features[payment_method_update][enabled]')
  }
  if (given.subscription_cancel !== undefined) {
    const param = 'features[subscription_cancel]'
    const f = checkNested(
      given.subscription_cancel,
      param,
      ['cancellation_reason', 'enabled', 'mode', 'proration_behavior'],
      ['enabled', 'mode', 'proration_behavior'],
      endpoint,
    )
    if (f.enabled !== undefined) next.subscriptionCancel.enabled = bool(f.enabled, `${param}[enabled]`)
    if (f.mode !== undefined)
      next.subscriptionCancel.mode = oneOf(f.mode, `${param}[mode]`, ['at_period_end', 'immediately'] as const)
    if (f.proration_behavior !== undefined)
      next.subscriptionCancel.prorationBehavior = oneOf(
        f.proration_behavior,
        `${param}[proration_behavior]`,
        PRORATIONS,
      )
  }
  if (given.subscription_update !== undefined) {
    const param = 'features[subscription_update]'
    const f = checkNested(
      given.subscription_update,
      param,
      [
        'billing_cycle_anchor',
        'default_allowed_updates',
        'enabled',
        'products',
        'proration_behavior',
        'schedule_at_period_end',
        'trial_update_behavior',
      ],
      ['default_allowed_updates', 'enabled', 'products', 'proration_behavior'],
      endpoint,
    )
    if (f.enabled !== undefined) next.subscriptionUpdate.enabled = bool(f.enabled, `${param}[enabled]`)
    if (f.default_allowed_updates !== undefined) {
      const updates =
        f.default_allowed_updates === '' ? [] : strArray(f.default_allowed_updates, `${param}[default_allowed_updates]`)
      for (const update of updates)
        oneOf(update, `${param}[default_allowed_updates]`, ['price', 'promotion_code', 'quantity'] as const)
      next.subscriptionUpdate.defaultAllowedUpdates = updates
    }
    if (f.proration_behavior !== undefined)
      next.subscriptionUpdate.prorationBehavior = oneOf(
        f.proration_behavior,
        `${param}[proration_behavior]`,
        PRORATIONS,
      )
    if (f.products !== undefined)
      next.subscriptionUpdate.products = (f.products === '' ? [] : objectArray(f.products, `${param}[products]`)).map(
        (entry, index) => {
          const at = `${param}[products][${index}]`
          checkNested(entry, at, ['adjustable_quantity', 'prices', 'product'], ['prices', 'product'], endpoint)
          const product = str(required(entry, 'product'), `${at}[product]`)
          const prices = strArray(required(entry, 'prices'), `${at}[prices]`)
          for (const price of prices) {
            const found = internalRequest(account, 'GET', `/v1/prices/${price}`)
            if (found.product !== product)
              throw invalid(`The price ${price} does not belong to the product ${product}.`, `${at}[prices]`)
            if (found.recurring === null) throw invalid(`The price ${price} is not a recurring price.`, `${at}[prices]`)
          }
          return {product, prices}
        },
      )
  }
  // Plan switches need something to switch to (SB-P9).
  if (next.subscriptionUpdate.enabled && next.subscriptionUpdate.products.length === 0)
    throw invalid(
      'You must specify `features[subscription_update][products]` when subscription updates are enabled.',
      'features[subscription_update][products]',
    )
  return next
}

function readBusinessProfile(raw: unknown, current: PortalConfigurationRecord['businessProfile'], endpoint: string) {
  const f = checkNested(
    raw,
    'business_profile',
    ['headline', 'privacy_policy_url', 'terms_of_service_url'],
    ['headline', 'privacy_policy_url', 'terms_of_service_url'],
    endpoint,
  )
  return {
    headline: f.headline === undefined ? current.headline : (optStr(f.headline, 'business_profile[headline]') ?? null),
    privacyPolicyUrl:
      f.privacy_policy_url === undefined
        ? current.privacyPolicyUrl
        : (optStr(f.privacy_policy_url, 'business_profile[privacy_policy_url]') ?? null),
    termsOfServiceUrl:
      f.terms_of_service_url === undefined
        ? current.termsOfServiceUrl
        : (optStr(f.terms_of_service_url, 'business_profile[terms_of_service_url]') ?? null),
  }
}

const NO_FEATURES: PortalFeatures = {
  invoiceHistory: false,
  paymentMethodUpdate: false,
  subscriptionCancel: {enabled: false, mode: 'at_period_end', prorationBehavior: 'none'},
  subscriptionUpdate: {enabled: false, defaultAllowedUpdates: [], products: [], prorationBehavior: 'none'},
}

const CONFIG_FIELDS = ['business_profile', 'default_return_url', 'features', 'metadata', 'name'] as const

function createConfiguration(account: Account, p: Raw): PortalConfigurationRecord {
  checkParams(p, 'BillingPortal.ConfigurationCreateParams', [...COMMON, ...CONFIG_FIELDS], ENDPOINT_CREATE)
  const now = account.wallSeconds()
  const config: PortalConfigurationRecord = {
    id: account.newId('bpc_'),
    created: now,
    updated: now,
    active: true,
    name: optStr(p.name, 'name') ?? null,
    defaultReturnUrl: optStr(p.default_return_url, 'default_return_url') ?? null,
    businessProfile:
      p.business_profile === undefined
        ? {headline: null, privacyPolicyUrl: null, termsOfServiceUrl: null}
        : readBusinessProfile(
            p.business_profile,
            {headline: null, privacyPolicyUrl: null, termsOfServiceUrl: null},
            ENDPOINT_CREATE,
          ),
    features: readFeatures(account, required(p, 'features'), NO_FEATURES, ENDPOINT_CREATE),
    metadata: mergeMetadata({}, p.metadata),
    seq: account.nextSeq(),
  }
  account.store.of(PORTAL_CONFIGURATIONS).set(config.id, config)
  account.emit('billing_portal.configuration.created', () => renderPortalConfiguration(config), null)
  return config
}

function updateConfiguration(account: Account, config: PortalConfigurationRecord, p: Raw): void {
  const endpoint = 'POST /v1/billing_portal/configurations/{id}'
  checkParams(p, 'BillingPortal.ConfigurationUpdateParams', [...COMMON, ...CONFIG_FIELDS, 'active'], endpoint)
  // Everything is read before anything changes: a refused update changes nothing.
  const features =
    p.features === undefined ? config.features : readFeatures(account, p.features, config.features, endpoint)
  const businessProfile =
    p.business_profile === undefined
      ? config.businessProfile
      : readBusinessProfile(p.business_profile, config.businessProfile, endpoint)
  const active = p.active === undefined ? config.active : bool(p.active, 'active')
  const name = p.name === undefined ? config.name : (optStr(p.name, 'name') ?? null)
  const defaultReturnUrl =
    p.default_return_url === undefined
      ? config.defaultReturnUrl
      : (optStr(p.default_return_url, 'default_return_url') ?? null)
  const metadata = mergeMetadata(config.metadata, p.metadata)
  updating(
    account,
    'billing_portal.configuration.updated',
    null,
    () => renderPortalConfiguration(config),
    () => {
      Object.assign(config, {features, businessProfile, active, name, defaultReturnUrl, metadata})
      config.updated = account.wallSeconds()
    },
  )
}

function createSession(account: Account, p: Raw): PortalSessionRecord {
  checkParams(
    p,
    'BillingPortal.SessionCreateParams',
    [...COMMON, 'customer', 'return_url', 'configuration'],
    'POST /v1/billing_portal/sessions',
  )
  const customer = internalRequest(account, 'GET', `/v1/customers/${str(required(p, 'customer'), 'customer')}`)
  if (customer.deleted)
    throw new ApiError(
      404,
      'invalid_request_error',
      `No such customer: '${String(customer.id)}'`,
      'resource_missing',
      'customer',
    )
  // Without a configuration Stripe uses the account's default one, saved in the Dashboard (SB-P8).
  if (p.configuration === undefined)
    throw invalid(
      'No configuration provided and your test mode default configuration has not been created. Provide a configuration or create your default by saving your customer portal settings in test mode at https://dashboard.stripe.com/test/settings/billing/portal. (The emulator has no Dashboard: pass `configuration`.)',
      'configuration',
    )
  const configuration = account.store
    .of(PORTAL_CONFIGURATIONS)
    .require(str(p.configuration, 'configuration'), 'configuration')
  if (!configuration.active) throw invalid('The configuration you provided is not active.', 'configuration')
  const session: PortalSessionRecord = {
    id: account.newId('bps_'),
    created: account.wallSeconds(),
    customer: String(customer.id),
    configuration: configuration.id,
    returnUrl: optStr(p.return_url, 'return_url') ?? configuration.defaultReturnUrl,
    seq: account.nextSeq(),
  }
  account.store.of(PORTAL_SESSIONS).set(session.id, session)
  account.emit('billing_portal.session.created', () => renderPortalSession(account, session), null)
  return session
}

export const billingPortalConfigurations: Resource = {
  object: 'billing_portal.configuration',
  idPrefixes: ['bpc_'],
  render: (account, id) => {
    const config = account.store.of(PORTAL_CONFIGURATIONS).get(id)
    return config && renderPortalConfiguration(config)
  },
  documentedParams: {
    file: 'BillingPortal/Configurations.d.ts',
    interfaces: [
      'BillingPortal.ConfigurationCreateParams',
      'BillingPortal.ConfigurationRetrieveParams',
      'BillingPortal.ConfigurationUpdateParams',
      'BillingPortal.ConfigurationListParams',
    ],
  },
  routes: [
    route('POST', '/v1/billing_portal/configurations', (ctx) =>
      renderPortalConfiguration(createConfiguration(ctx.account, ctx.params)),
    ),
    route('GET', '/v1/billing_portal/configurations/:id', (ctx) => {
      checkParams(
        ctx.params,
        'BillingPortal.ConfigurationRetrieveParams',
        COMMON,
        'GET /v1/billing_portal/configurations/{id}',
      )
      return renderPortalConfiguration(ctx.account.store.of(PORTAL_CONFIGURATIONS).require(ctx.ids[0] ?? ''))
    }),
    route('POST', '/v1/billing_portal/configurations/:id', (ctx) => {
      const config = ctx.account.store.of(PORTAL_CONFIGURATIONS).require(ctx.ids[0] ?? '')
      updateConfiguration(ctx.account, config, ctx.params)
      return renderPortalConfiguration(config)
    }),
    route('GET', '/v1/billing_portal/configurations', (ctx) => {
      checkParams(
        ctx.params,
        'BillingPortal.ConfigurationListParams',
        [...COMMON, 'active', 'is_default', ...PAGINATION],
        'GET /v1/billing_portal/configurations',
      )
      const active = ctx.params.active === undefined ? undefined : bool(ctx.params.active, 'active')
      const isDefault = ctx.params.is_default === undefined ? undefined : bool(ctx.params.is_default, 'is_default')
      return list(
        ctx,
        filter(
          ctx.account.store.of(PORTAL_CONFIGURATIONS).values(),
          // No configuration made through the API is the default one (SB-P8).
          (config) => (active === undefined || config.active === active) && isDefault !== true,
        ),
        renderPortalConfiguration,
      )
    }),
  ],
}

export const billingPortalSessions: Resource = {
  object: 'billing_portal.session',
  idPrefixes: ['bps_'],
  documentedParams: {file: 'BillingPortal/Sessions.d.ts', interfaces: ['BillingPortal.SessionCreateParams']},
  routes: [
    route('POST', '/v1/billing_portal/sessions', (ctx) =>
      renderPortalSession(ctx.account, createSession(ctx.account, ctx.params)),
    ),
  ],
}
