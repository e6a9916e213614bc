import type {ErrorCode} from '../errors.js'
/**
 * The `pm_card_*` and `tok_*` test tokens of Stripe's testing page (SB-22 – SB-24, SB-K9): what card
 * each makes and what happens when it is saved or charged.
 */

/** How a card answers a charge: it pays, it is declined, or the issuer asks for 3-D Secure. */
export type CardBehaviour = 'succeeds' | 'charge_fails' | 'requires_action'

/** A decline as Stripe reports it: the error `code`, the `decline_code` and the message. */
export interface Decline {
  code: ErrorCode
  declineCode: string
  message: string
}

export interface CardToken {
  brand: string
  last4: string
  behaviour: CardBehaviour
  /** A card the issuer declines when it is saved (SB-24): refused by attach and by a SetupIntent. */
  declinedAtAttach?: boolean
  decline?: Decline
  funding?: 'credit' | 'debit' | 'prepaid'
}

export const GENERIC_DECLINE: Decline = {
  code: 'card_declined',
  declineCode: 'generic_decline',
  message: 'Your card was declined.',
}

const declined = (last4: string, decline: Decline, brand = 'visa'): CardToken => ({
  brand,
  last4,
  behaviour: 'charge_fails',
  declinedAtAttach: true,
  decline,
})

const declines = {
  generic: GENERIC_DECLINE,
  insufficientFunds: {
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  lostCard: {code: 'card_declined', declineCode: 'lost_card', message: 'Your card was declined.'},
  stolenCard: {code: 'card_declined', declineCode: 'stolen_card', message: 'Your card was declined.'},
  fraudulent: {code: 'card_declined', declineCode: 'fraudulent', message: 'Your card was declined.'},
  velocity: {code: 'card_declined', declineCode: 'card_velocity_exceeded', message: 'Your card was declined.'},
  expired: {code: 'expired_card', declineCode: 'expired_card', message: 'Your card has expired.'},
  incorrectCvc: {
    code: 'incorrect_cvc',
    declineCode: 'incorrect_cvc',
    message: "Your card's security code is incorrect.",
  },
  processing: {
    code: 'processing_error',
    declineCode: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
  },
} satisfies Record<string, Decline>

const ok = (brand: string, last4: string, funding: CardToken['funding'] = 'credit'): CardToken => ({
  brand,
  last4,
  behaviour: 'succeeds',
  funding,
})

/** Each card under its `pm_card_` name; `tok_<name>` names the same card (the testing page lists both). */
const CARDS: Record<string, CardToken> = {
  visa: ok('visa', '4242'),
  visa_debit: ok('visa', '5556', 'debit'),
  mastercard: ok('mastercard', '4444'),
  mastercard_debit: ok('mastercard', '8210', 'debit'),
  mastercard_prepaid: ok('mastercard', '5100', 'prepaid'),
  amex: ok('amex', '8431'),
  discover: ok('discover', '1117'),
  diners: ok('diners', '0004'),
  jcb: ok('jcb', '0505'),
  unionpay: ok('unionpay', '0005'),
  // Funds available at once instead of pending: the same as a succeeding card here (no balances modelled).
  bypassPending: ok('visa', '0077'),
  chargeCustomerFail: {brand: 'visa', last4: '0341', behaviour: 'charge_fails', decline: GENERIC_DECLINE},
  chargeDeclined: declined('0002', declines.generic),
  visa_chargeDeclined: declined('0002', declines.generic),
  chargeDeclinedInsufficientFunds: declined('9995', declines.insufficientFunds),
  visa_chargeDeclinedInsufficientFunds: declined('9995', declines.insufficientFunds),
  chargeDeclinedLostCard: declined('9987', declines.lostCard),
  visa_chargeDeclinedLostCard: declined('9987', declines.lostCard),
  chargeDeclinedStolenCard: declined('9979', declines.stolenCard),
  visa_chargeDeclinedStolenCard: declined('9979', declines.stolenCard),
  chargeDeclinedFraudulent: declined('0019', declines.fraudulent),
  visa_chargeDeclinedFraudulent: declined('0019', declines.fraudulent),
  visa_chargeDeclinedVelocityLimitExceeded: declined('6975', declines.velocity),
  chargeDeclinedExpiredCard: declined('0069', declines.expired),
  chargeDeclinedIncorrectCvc: declined('0127', declines.incorrectCvc),
  chargeDeclinedProcessingError: declined('0119', declines.processing),
  // 3-D Secure required on every payment: a PaymentIntent waits in requires_action (SB-K9).
  authenticationRequired: {brand: 'visa', last4: '3184', behaviour: 'requires_action'},
  threeDSecure2Required: {brand: 'visa', last4: '3184', behaviour: 'requires_action'},
}

export function cardToken(token: string): CardToken | undefined {
  const match = /^(pm_card_|tok_)(.+)$/.exec(token)
  const name = match?.[2]
  return name !== undefined && Object.hasOwn(CARDS, name) ? CARDS[name] : undefined
}
