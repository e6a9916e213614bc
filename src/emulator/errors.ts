/** An error answered in Stripe's error shape, with Stripe's HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: 'invalid_request_error' | 'api_error' | 'card_error' | 'idempotency_error' | 'authentication_error',
    message: string,
    readonly code?: string,
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

export function invalid(message: string, param?: string, code = 'parameter_invalid'): ApiError {
  return new ApiError(400, 'invalid_request_error', message, code, param)
}
