/** The refunds resource: refunding a charge and the refund routes. */
import {type Account} from '../../account.js'
import {invalid, ApiError} from '../../errors.js'
import {type Metadata, str, checkParams, int, oneOf, mergeMetadata} from '../../params.js'
import {type Resource, route, COMMON, updating, PAGINATION, list, filter} from '../../resource.js'
import {type ChargeRecord, renderCharge, CHARGES} from '../charges.js'
import {PAYMENT_INTENTS} from '../payment-intents.js'
import {assertClockWritable} from '../test-clocks.js'
import {type RefundReason, type RefundRecord, REFUNDS, BY_CHARGE, BY_CLOCK, renderRefund} from './record.js'

/**
 * Refunds part or all of what remains of a succeeded charge (SB-73): `refund.created`, then
 * `charge.refunded` (for partial refunds too) with the charge as it now is.
 */
export function refundCharge(
  account: Account,
  record: ChargeRecord,
  input: {amount?: number; reason: RefundReason | null; metadata: Metadata},
  at: number,
): RefundRecord {
  if (!record.succeeded) throw invalid(`Charge ${record.id} has no successful payment to refund.`, 'charge')
  const remaining = record.amount - record.amountRefunded
  if (remaining === 0)
    throw new ApiError(
      400,
      'invalid_request_error',
      `Charge ${record.id} has already been refunded.`,
      'charge_already_refunded',
      'charge',
    )
  const amount = input.amount ?? remaining
  if (amount > remaining)
    throw new ApiError(
      400,
      'invalid_request_error',
      `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining}).`,
      'amount_too_large',
      'amount',
    )
  const refund: RefundRecord = {
    id: account.newId('re_'),
    created: at,
    amount,
    charge: record.id,
    paymentIntent: record.paymentIntent,
    currency: record.currency,
    customer: record.customer,
    paymentMethod: record.paymentMethod.id,
    reason: input.reason,
    metadata: input.metadata,
    testClock: record.testClock,
    seq: account.nextSeq(),
  }
  account.store.of(REFUNDS).set(refund.id, refund)
  account.store.index(BY_CHARGE).add(record.id, refund.id)
  if (refund.testClock) account.store.index(BY_CLOCK).add(refund.testClock, refund.id)
  account.emit('refund.created', () => renderRefund(refund), refund.testClock)
  record.amountRefunded += amount
  account.emit('charge.refunded', () => renderCharge(account, record), record.testClock)
  return refund
}

/** The charge a refund request names: `charge`, or a succeeded `payment_intent`'s latest charge (SB-73). */
function chargeToRefund(account: Account, params: Record<string, unknown>): ChargeRecord {
  const chargeId = params.charge === undefined ? undefined : str(params.charge, 'charge')
  const intentId = params.payment_intent === undefined ? undefined : str(params.payment_intent, 'payment_intent')
  if (chargeId === undefined && intentId === undefined)
    throw new ApiError(
      400,
      'invalid_request_error',
      'One of the following params should be provided for this request: payment_intent or charge.',
      'parameter_missing',
    )
  if (chargeId !== undefined) {
    const record = account.store.of(CHARGES).require(chargeId, 'charge')
    if (intentId !== undefined && record.paymentIntent !== intentId)
      throw invalid(`Charge ${chargeId} does not belong to PaymentIntent ${intentId}.`, 'payment_intent')
    return record
  }
  const intent = account.store.of(PAYMENT_INTENTS).require(intentId ?? '', 'payment_intent')
  const record =
    intent.status === 'succeeded' && intent.latestCharge
      ? account.store.of(CHARGES).get(intent.latestCharge)
      : undefined
  if (!record)
    throw invalid(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, 'payment_intent')
  return record
}

export const refunds: Resource = {
  object: 'refund',
  idPrefixes: ['re_'],
  render: (account, id) => {
    const refund = account.store.of(REFUNDS).get(id)
    return refund && renderRefund(refund)
  },
  documentedParams: {
    file: 'Refunds.d.ts',
    interfaces: ['RefundCreateParams', 'RefundRetrieveParams', 'RefundUpdateParams', 'RefundListParams'],
  },
  onClockDeleted: (account, clockId) => {
    for (const refund of account.store.indexed(REFUNDS, BY_CLOCK, clockId)) {
      account.store.of(REFUNDS).delete(refund.id)
      account.store.index(BY_CHARGE).drop(refund.charge)
    }
    account.store.index(BY_CLOCK).drop(clockId)
  },
  routes: [
    route('POST', '/v1/refunds', (ctx) => {
      checkParams(
        ctx.params,
        'RefundCreateParams',
        [...COMMON, 'charge', 'payment_intent', 'amount', 'reason', 'metadata'],
        'POST /v1/refunds',
      )
      const {account, params: p} = ctx
      const record = chargeToRefund(account, p)
      assertClockWritable(account, record.testClock)
      const refund = refundCharge(
        account,
        record,
        {
          ...(p.amount === undefined ? {} : {amount: int(p.amount, 'amount', 1)}),
          reason:
            p.reason === undefined
              ? null
              : oneOf(p.reason, 'reason', ['duplicate', 'fraudulent', 'requested_by_customer'] as const),
          metadata: mergeMetadata({}, p.metadata),
        },
        account.nowFor(record.testClock),
      )
      return renderRefund(refund)
    }),
    route('GET', '/v1/refunds/:id', (ctx) => {
      checkParams(ctx.params, 'RefundRetrieveParams', COMMON, 'GET /v1/refunds/{id}')
      return renderRefund(ctx.account.store.of(REFUNDS).require(ctx.ids[0] ?? ''))
    }),
    route('POST', '/v1/refunds/:id', (ctx) => {
      // Only metadata can change (SB-73).
      checkParams(ctx.params, 'RefundUpdateParams', [...COMMON, 'metadata'], 'POST /v1/refunds/{id}')
      const {account} = ctx
      const refund = account.store.of(REFUNDS).require(ctx.ids[0] ?? '')
      const render = () => renderRefund(refund)
      // A card refund's update is refund.updated, then charge.refund.updated (SB-T2).
      updating(account, 'charge.refund.updated', refund.testClock, render, () =>
        updating(
          account,
          'refund.updated',
          refund.testClock,
          render,
          () => (refund.metadata = mergeMetadata(refund.metadata, ctx.params.metadata)),
        ),
      )
      return renderRefund(refund)
    }),
    route('GET', '/v1/refunds', (ctx) => {
      checkParams(
        ctx.params,
        'RefundListParams',
        [...COMMON, 'charge', 'payment_intent', ...PAGINATION],
        'GET /v1/refunds',
      )
      const p = ctx.params
      return list(
        ctx,
        filter(
          ctx.account.store.of(REFUNDS).values(),
          (r) =>
            (p.charge === undefined || r.charge === p.charge) &&
            (p.payment_intent === undefined || r.paymentIntent === p.payment_intent),
        ),
        renderRefund,
      )
    }),
  ],
}
