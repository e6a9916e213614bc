import {notModelled} from '../../errors.js'
import type {VersionChange} from '../change.js'

const INTENT_WRITES = /^\/v1\/(payment_intents(\/[^/]+(\/confirm)?)?|setup_intents(\/[^/]+)?)$/

/**
 * Endive removed `payment_method_types` from PaymentIntent and SetupIntent requests (SB-V12).
 * Older versions still send it; cards are the only method the emulated account has (SB-72), so
 * `['card']` asks for what the newest version does by default and any other method is refused.
 */
export const paymentMethodTypesParam: VersionChange = {
  version: '2026-09-30.endive',
  name: 'payment-method-types-param',
  rule: 'SB-V12',
  up(request) {
    if (request.method !== 'POST' || !INTENT_WRITES.test(request.path)) return
    const types = request.params.payment_method_types
    if (types === undefined) return
    const list = Array.isArray(types)
      ? types
      : typeof types === 'object' && types !== null
        ? Object.values(types)
        : [types]
    if (list.some((type) => type !== 'card'))
      throw notModelled(`payment_method_types other than card (${list.join(', ')})`)
    delete request.params.payment_method_types
  },
}
