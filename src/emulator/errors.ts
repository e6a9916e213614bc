import type Stripe from 'stripe'

/** The literal members of an SDK enum, without its catch-all `OtherString`. */
type Listed<T> = T extends unknown ? (string extends T ? never : T) : never

/**
 * Stripe's error codes, as its spec lists them (stripe-node types an error's `code` with the list,
 * the same one docs.stripe.com/error-codes gives), plus the emulator's own 501 code (SB-1). An error
 * without a code (an invalid value, for one) has none, as on Stripe (SB-C4).
 */
export type ErrorCode =
  | Listed<Stripe.PaymentIntent.LastPaymentError.Code>
  | 'emulator_not_modelled'
  // Newer than the SDK's list: endive's refusal of payment_method_types (SB-K1, its changelog entry).
  | 'payment_method_types_no_longer_supported'

/** An error answered in Stripe's error shape, with Stripe's HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: 'invalid_request_error' | 'api_error' | 'card_error' | 'idempotency_error' | 'authentication_error',
    message: string,
    readonly code?: ErrorCode,
    readonly param?: string,
  ) {
    super(message)
  }

  /** A card error's `decline_code` (SB-K9). */
  declineCode?: string
}

/** Stripe behaviour this emulator does not model: refuse loudly rather than invent it (SB-1). */
export function notModelled(what: string): ApiError {
  return new ApiError(
    501,
    'api_error',
    `The stripe-seed emulator does not model ${what}; it refuses instead of guessing Stripe's behaviour.`,
    'emulator_not_modelled',
  )
}

/** A value Stripe refuses: 400 `invalid_request_error`, with no code unless Stripe has one for it (SB-C4). */
export function invalid(message: string, param?: string, code?: ErrorCode): ApiError {
  return new ApiError(400, 'invalid_request_error', message, code, param)
}

/** An object that does not exist, named in the path or in a parameter: 404 `resource_missing` everywhere (SB-C5). */
export function missing(noun: string, id: string, param?: string): ApiError {
  return new ApiError(404, 'invalid_request_error', `No such ${noun}: '${id}'`, 'resource_missing', param)
}
