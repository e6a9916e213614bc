/**
 * The card numbers Stripe's testing page lists that a hosted page accepts (SB-P6), mapped to the
 * `pm_card_*` token the API's own routes know. A decline is answered on the page with Stripe's
 * message and creates nothing.
 */
export interface TestCard {
  number: string
  label: string
  token: string
  decline?: {code: string; declineCode: string; message: string}
}

export const TEST_CARDS: readonly TestCard[] = [
  {number: '4242424242424242', label: 'Visa, succeeds', token: 'pm_card_visa'},
  {number: '5555555555554444', label: 'Mastercard, succeeds', token: 'pm_card_mastercard'},
  {
    number: '4000000000000002',
    label: 'Visa, declined (generic decline)',
    token: 'pm_card_chargeDeclined',
    decline: {code: 'card_declined', declineCode: 'generic_decline', message: 'Your card was declined.'},
  },
  {
    number: '4000000000009995',
    label: 'Visa, declined (insufficient funds)',
    token: 'pm_card_chargeDeclinedInsufficientFunds',
    decline: {code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.'},
  },
]

export interface CardForm {
  number: string
  expiry: string
  cvc: string
  name: string
}

/** A filled card form checked as Checkout's form checks it; the card, or the message shown by the field. */
export function readCard(form: CardForm, nowSeconds: number): {card: TestCard} | {error: string} {
  const digits = form.number.replaceAll(/[\s-]/g, '')
  if (!/^\d{12,19}$/.test(digits)) return {error: 'Your card number is incomplete.'}
  const expiry = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(form.expiry)
  if (!expiry) return {error: "Your card's expiration date is incomplete."}
  const month = Number(expiry[1])
  const year = Number(expiry[2]!.length === 2 ? `20${expiry[2]}` : expiry[2])
  if (month < 1 || month > 12) return {error: "Your card's expiration date is invalid."}
  const now = new Date(nowSeconds * 1000)
  if (year < now.getUTCFullYear() || (year === now.getUTCFullYear() && month < now.getUTCMonth() + 1))
    return {error: "Your card's expiration year is in the past."}
  if (!/^\d{3,4}$/.test(form.cvc.trim())) return {error: "Your card's security code is incomplete."}
  if (form.name.trim() === '') return {error: 'Enter the name on the card.'}
  const card = TEST_CARDS.find((candidate) => candidate.number === digits)
  if (!card)
    return {
      error: `The emulator knows only Stripe's test cards listed on this page; ${digits.slice(-4)} is not one of them.`,
    }
  return {card}
}
