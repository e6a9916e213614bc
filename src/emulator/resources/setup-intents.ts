import type {Account} from '../account.js'
import {ApiError, invalid} from '../errors.js'
import {type Metadata, bool, checkParams, mergeMetadata, oneOf, optStr, str} from '../params.js'
import {type ApiObject, COMMON, PAGINATION, type Resource, filter, list, route, forgetByClock} from '../resource.js'
import {collectionKey} from '../store.js'
import {type Decline, GENERIC_DECLINE} from './card-tokens.js'
import {liveCustomer} from './customers/record.js'
import {threeDSecureAction} from './payment-intents.js'
import {
  type AllowRedirects,
  PAYMENT_METHODS,
  type PaymentMethodRecord,
  attachPaymentMethod,
  automaticPaymentMethods,
  cardError,
  paymentMethodFromToken,
  refuseWrittenPaymentMethodTypes,
} from './payment-methods.js'
import {assertClockWritable} from './test-clocks.js'

type SetupIntentStatus =
  'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'succeeded' | 'canceled'

export interface SetupIntentRecord {
  id: string
  created: number
  customer: string | null
  status: SetupIntentStatus
  paymentMethod: string | null
  usage: 'off_session' | 'on_session'
  /** `automatic_payment_methods[allow_redirects]` (SB-K1). */
  allowRedirects?: AllowRedirects
  lastError: {paymentMethod: string; decline?: Decline} | null
  cancellationReason: string | null
  description: string | null
  metadata: Metadata
  testClock: string | null
  seq: number
}

export const SETUP_INTENTS = collectionKey<SetupIntentRecord>('setupIntents', 'setup_intent')
const BY_CLOCK = 'setup-intents-by-clock'

export function renderSetupIntent(intent: SetupIntentRecord): ApiObject {
  return {
    id: intent.id,
    object: 'setup_intent',
    application: null,
    // Cards are the emulated account's only enabled method (SB-72).
    automatic_payment_methods: {allow_redirects: intent.allowRedirects ?? 'always', enabled: true},
    cancellation_reason: intent.cancellationReason,
    client_secret: `${intent.id}_secret_emulator`,
    created: intent.created,
    customer: intent.customer,
    description: intent.description,
    excluded_payment_method_types: null,
    flow_directions: null,
    last_setup_error: intent.lastError
      ? {
          code: intent.lastError.decline?.code ?? 'card_declined',
          decline_code: intent.lastError.decline?.declineCode ?? 'generic_decline',
          message: intent.lastError.decline?.message ?? 'Your card was declined.',
          payment_method: {id: intent.lastError.paymentMethod, object: 'payment_method'},
          type: 'card_error',
        }
      : null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: intent.metadata,
    next_action: intent.status === 'requires_action' ? threeDSecureAction(intent.id) : null,
    on_behalf_of: null,
    payment_method: intent.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: {card: {mandate_options: null, network: null, request_three_d_secure: 'automatic'}},
    payment_method_types: ['card'],
    single_use_mandate: null,
    status: intent.status,
    usage: intent.usage,
  }
}

/** A test token makes an unattached card; a saved card must be the intent's customer's (SB-75). */
function setupPaymentMethod(account: Account, intent: SetupIntentRecord, idOrToken: string): PaymentMethodRecord {
  const pm = paymentMethodFromToken(account, idOrToken, 'payment_method', {attaching: false})
  if (pm.customer !== null && pm.customer !== intent.customer)
    throw invalid('The provided PaymentMethod belongs to another customer.', 'payment_method')
  return pm
}

/**
 * Confirming saves the card (SB-75): it succeeds and, with a customer, attaches the card to it; a
 * card the issuer declines when saved fails with 402 and `setup_intent.setup_failed`.
 */
function confirm(account: Account, intent: SetupIntentRecord): void {
  const pm = intent.paymentMethod === null ? undefined : account.store.of(PAYMENT_METHODS).get(intent.paymentMethod)
  if (!pm)
    throw new ApiError(
      400,
      'invalid_request_error',
      "You cannot confirm this SetupIntent because it's missing a payment method. To confirm the SetupIntent with a payment method, pass `payment_method`.",
      'setup_intent_unexpected_state',
    )
  if (pm.declinedAtAttach) {
    const decline = pm.decline ?? GENERIC_DECLINE
    intent.status = 'requires_payment_method'
    intent.lastError = {paymentMethod: pm.id, decline}
    account.emit('setup_intent.setup_failed', () => renderSetupIntent(intent), intent.testClock)
    // The failed setup is the request's result: it stands (SB-A3).
    account.keepChanges()
    throw cardError(decline)
  }
  // A card that asks for 3-D Secure on every use waits for the customer here too (SB-K9).
  if (pm.behaviour === 'requires_action') {
    intent.status = 'requires_action'
    account.emit('setup_intent.requires_action', () => renderSetupIntent(intent), intent.testClock)
    return
  }
  const customer = intent.customer === null ? undefined : liveCustomer(account, intent.customer, 'customer')
  if (customer && pm.customer !== customer.id) attachPaymentMethod(account, pm.id, customer)
  intent.status = 'succeeded'
  intent.lastError = null
  account.emit('setup_intent.succeeded', () => renderSetupIntent(intent), intent.testClock)
}

function requireIntent(account: Account, id: string): SetupIntentRecord {
  const intent = account.store.of(SETUP_INTENTS).require(id)
  assertClockWritable(account, intent.testClock)
  return intent
}

export const setupIntents: Resource = {
  object: 'setup_intent',
  idPrefixes: ['seti_'],
  render: (account, id) => {
    const intent = account.store.of(SETUP_INTENTS).get(id)
    return intent && renderSetupIntent(intent)
  },
  documentedParams: {
    file: 'SetupIntents.d.ts',
    interfaces: [
      'SetupIntentCreateParams',
      'SetupIntentRetrieveParams',
      'SetupIntentUpdateParams',
      'SetupIntentListParams',
      'SetupIntentConfirmParams',
      'SetupIntentCancelParams',
    ],
  },
  onClockDeleted: forgetByClock(SETUP_INTENTS, BY_CLOCK),
  routes: [
    route('POST', '/v1/setup_intents', (ctx) => {
      refuseWrittenPaymentMethodTypes(ctx.params)
      checkParams(
        ctx.params,
        'SetupIntentCreateParams',
        [
          ...COMMON,
          'customer',
          'payment_method',
          'confirm',
          'usage',
          'description',
          'metadata',
          'automatic_payment_methods',
        ],
        'POST /v1/setup_intents',
      )
      const {account, params: p} = ctx
      const allowRedirects = automaticPaymentMethods(p.automatic_payment_methods, 'POST /v1/setup_intents')
      const customer =
        p.customer === undefined ? undefined : liveCustomer(account, str(p.customer, 'customer'), 'customer')
      if (customer) assertClockWritable(account, customer.testClock)
      const testClock = customer?.testClock ?? null
      const intent: SetupIntentRecord = {
        id: account.newId('seti_'),
        created: account.nowFor(testClock),
        customer: customer?.id ?? null,
        status: 'requires_payment_method',
        paymentMethod: null,
        // off_session unless told: the card is saved to be charged later (SN23 `usage`).
        usage: p.usage === undefined ? 'off_session' : oneOf(p.usage, 'usage', ['off_session', 'on_session'] as const),
        ...(allowRedirects ? {allowRedirects} : {}),
        lastError: null,
        cancellationReason: null,
        description: optStr(p.description, 'description') ?? null,
        metadata: mergeMetadata({}, p.metadata),
        testClock,
        seq: account.nextSeq(),
      }
      if (p.payment_method !== undefined) {
        intent.paymentMethod = setupPaymentMethod(account, intent, str(p.payment_method, 'payment_method')).id
        intent.status = 'requires_confirmation'
      }
      account.store.of(SETUP_INTENTS).set(intent.id, intent)
      if (testClock) account.store.index(BY_CLOCK).add(testClock, intent.id)
      account.emit('setup_intent.created', () => renderSetupIntent(intent), testClock)
      if (p.confirm !== undefined && bool(p.confirm, 'confirm')) confirm(account, intent)
      return renderSetupIntent(intent)
    }),
    route('GET', '/v1/setup_intents/:id', (ctx) => {
      checkParams(ctx.params, 'SetupIntentRetrieveParams', [...COMMON, 'client_secret'], 'GET /v1/setup_intents/{id}')
      return renderSetupIntent(ctx.account.store.of(SETUP_INTENTS).require(ctx.ids[0] ?? ''))
    }),
    route('POST', '/v1/setup_intents/:id', (ctx) => {
      refuseWrittenPaymentMethodTypes(ctx.params)
      checkParams(
        ctx.params,
        'SetupIntentUpdateParams',
        [...COMMON, 'metadata', 'description'],
        'POST /v1/setup_intents/{id}',
      )
      const intent = requireIntent(ctx.account, ctx.ids[0] ?? '')
      // Stripe has no setup_intent.updated event (SB-75).
      intent.metadata = mergeMetadata(intent.metadata, ctx.params.metadata)
      if (ctx.params.description !== undefined)
        intent.description = optStr(ctx.params.description, 'description') ?? null
      return renderSetupIntent(intent)
    }),
    route('POST', '/v1/setup_intents/:id/confirm', (ctx) => {
      checkParams(
        ctx.params,
        'SetupIntentConfirmParams',
        [...COMMON, 'payment_method'],
        'POST /v1/setup_intents/{id}/confirm',
      )
      const {account, params: p} = ctx
      const intent = requireIntent(account, ctx.ids[0] ?? '')
      if (intent.status !== 'requires_payment_method' && intent.status !== 'requires_confirmation')
        throw new ApiError(
          400,
          'invalid_request_error',
          `You cannot confirm this SetupIntent because it has a status of ${intent.status}.`,
          'setup_intent_unexpected_state',
        )
      if (p.payment_method !== undefined)
        intent.paymentMethod = setupPaymentMethod(account, intent, str(p.payment_method, 'payment_method')).id
      confirm(account, intent)
      return renderSetupIntent(intent)
    }),
    route('POST', '/v1/setup_intents/:id/cancel', (ctx) => {
      checkParams(
        ctx.params,
        'SetupIntentCancelParams',
        [...COMMON, 'cancellation_reason'],
        'POST /v1/setup_intents/{id}/cancel',
      )
      const {account, params: p} = ctx
      const intent = requireIntent(account, ctx.ids[0] ?? '')
      const reason =
        p.cancellation_reason === undefined
          ? null
          : oneOf(p.cancellation_reason, 'cancellation_reason', [
              'abandoned',
              'duplicate',
              'requested_by_customer',
            ] as const)
      if (intent.status === 'succeeded' || intent.status === 'canceled')
        throw new ApiError(
          400,
          'invalid_request_error',
          `You cannot cancel this SetupIntent because it has a status of ${intent.status}.`,
          'setup_intent_unexpected_state',
        )
      intent.status = 'canceled'
      intent.cancellationReason = reason
      account.emit('setup_intent.canceled', () => renderSetupIntent(intent), intent.testClock)
      return renderSetupIntent(intent)
    }),
    route('GET', '/v1/setup_intents', (ctx) => {
      checkParams(
        ctx.params,
        'SetupIntentListParams',
        [...COMMON, 'customer', 'payment_method', ...PAGINATION],
        'GET /v1/setup_intents',
      )
      const p = ctx.params
      return list(
        ctx,
        filter(
          ctx.account.store.of(SETUP_INTENTS).values(),
          (i) =>
            (p.customer === undefined || i.customer === p.customer) &&
            (p.payment_method === undefined || i.paymentMethod === p.payment_method),
        ),
        renderSetupIntent,
      )
    }),
  ],
}
