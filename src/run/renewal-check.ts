import {type RenewalCheck, checkRenewals, indexRenewals, listRenewals} from '../ledger/renewals.js'
import type {StripeGateway} from '../stripe/gateway.js'
import {type ClockState, clockItems} from './clock-state.js'

/** What the run found when it checked the months its clocks skipped against Stripe's renewal invoices. */
export interface RunRenewalCheck extends RenewalCheck {
  /** Clock-months written from the plan rather than read. */
  inferredMonths: number
}

/**
 * After the clocks: the months each clock skipped, against the renewal invoices Stripe made for
 * them (src/ledger/renewals.ts). The readings right after skipped months brought those invoices
 * (the latest of each subscription), so this costs no request; a run resumed from a journal
 * written before readings carried them lists the account's invoices instead (a request per 100).
 * Undefined when no clock skipped a month.
 */
export async function checkInferredMonths(
  gateway: StripeGateway,
  states: readonly ClockState[],
): Promise<RunRenewalCheck | undefined> {
  const skipping = states.filter((state) => state.months.some((month) => month.inferred))
  if (skipping.length === 0) return undefined
  const renewals = skipping.every((state) => state.renewalsRead)
    ? indexRenewals(skipping.flatMap((state) => state.renewals))
    : await listRenewals(gateway, new Set(skipping.flatMap((state) => [...state.customerIds.values()])))
  const result: RunRenewalCheck = {inferredMonths: 0, checked: 0, mismatches: []}
  for (const state of skipping) {
    const inferred = state.months.filter((month) => month.inferred)
    result.inferredMonths += inferred.length
    const labels = new Set(inferred.flatMap((month) => month.items.map(({item}) => item.month)))
    const check = checkRenewals(
      clockItems(state).map(({item}) => item),
      renewals,
      labels,
    )
    result.checked += check.checked
    result.mismatches.push(...check.mismatches)
  }
  return result
}
