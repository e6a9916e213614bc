import {CHARGES} from '../../resources/charges.js'
import type {ApiObject} from '../../resource.js'
import type {VersionChange} from '../change.js'

/** Before 2022-11-15 a PaymentIntent lists its charges, newest first, as `charges`; since then only `latest_charge` (SB-V15). */
export const paymentIntentCharges: VersionChange = {
  version: '2022-11-15',
  name: 'payment-intent-charges',
  rule: 'SB-V15',
  down: {
    payment_intent(intent, ctx) {
      const id = intent.id as string
      const charges = [...ctx.account.store.of(CHARGES).values()]
        .filter((charge) => charge.paymentIntent === id)
        .sort((a, b) => b.seq - a.seq)
        .map((charge) => ctx.render(charge.id))
        .filter((charge): charge is ApiObject => charge !== undefined)
      intent.charges = {
        object: 'list',
        data: charges,
        has_more: false,
        total_count: charges.length,
        url: `/v1/charges?payment_intent=${id}`,
      }
    },
  },
}
