/**
 * The JSON wire shape of a stripe-node type, so a renderer can say `{...} satisfies Wire<Stripe.Subscription>`
 * and a missing, misnamed or mistyped field fails to compile (issue 16: Stripe's spec as the contract).
 *
 * stripe-node types a response as the SDK hands it back, which differs from what the emulator writes:
 * - An expandable field (`string | Customer | DeletedCustomer`) is the id string on the wire: renderers
 *   write ids and `expand[]` swaps in objects afterwards, so the object members of such a union drop out.
 * - `Decimal` (stripe-node's decimal class for `*_decimal` fields) is a string on the wire.
 * - Lists embedded in an object (a subscription's items, an invoice's lines) also carry `total_count`,
 *   which Stripe sends and stripe-node does not declare; it is allowed, not required.
 * Timestamps are already numbers (Unix seconds) in stripe-node, so nothing here is a Date.
 */
import type Stripe from 'stripe'

/** Any Stripe object: it names itself in `object`, which is how an expandable member of a union is told apart. */
type StripeObject = {object: string}

/** One field's value: in a union with `string`, Stripe objects are the unexpanded id. */
type Field<F> = string extends F ? Unexpanded<F> : Wire<F>
type Unexpanded<F> = F extends StripeObject ? string : Wire<F>

export type Wire<T> = T extends Stripe.Decimal
  ? string
  : T extends string | number | boolean | null | undefined
    ? T
    : T extends ReadonlyArray<infer U>
      ? Array<Field<U>>
      : T extends Stripe.ApiList<infer U>
        ? {object: 'list'; data: Array<Wire<U>>; has_more: boolean; url: string; total_count?: number}
        : {[K in keyof T]: Field<T[K]>}
