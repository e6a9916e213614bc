import type {LedgerFile} from '../../src/files/ledger.js'
import {MrrDefinitionsSchema} from '../../src/ledger/definitions.js'
import {ledgerItemRows} from '../../src/ledger/mrr.js'
import {buildLedger} from '../../src/ledger/movements.js'
import {type SubscriptionSpec, coupon, discount, subscription} from './stripe-objects.js'

export const SAMPLE_MONTHS = ['2026-01', '2026-02', '2026-03', '2026-04']

/**
 * A small history with every case the views show: yearly, a forever coupon, a second currency,
 * a trial that converts, an upgrade, a downgrade, a churn and a reactivation.
 */
export function sampleLedger(fxRates: Record<string, number> = {eur: 1.1}): LedgerFile {
  const definitions = MrrDefinitionsSchema.parse({fxRates})
  const at = (month: string) => Date.parse(`${month}-28T00:00:00Z`) / 1000
  const half = coupon({id: 'half_forever', percent_off: 50, duration: 'forever'})
  const plan = (key: string, unitAmount: number) => ({plan: key, unitAmount})
  const readings: Record<string, SubscriptionSpec[]> = {
    '2026-01': [
      {customer: 'cus_alpha', id: 'sub_alpha', items: [{...plan('standard', 1000), quantity: 4}]},
      {customer: 'cus_bravo', id: 'sub_bravo', items: [{...plan('pro_plus', 1500), quantity: 10}]},
      {
        customer: 'cus_charlie',
        id: 'sub_charlie',
        items: [{...plan('pro_yearly', 180_000), interval: 'year', quantity: 2}],
      },
      {
        customer: 'cus_delta',
        id: 'sub_delta',
        currency: 'eur',
        items: [{...plan('standard', 900), currency: 'eur', quantity: 5}],
      },
      {
        customer: 'cus_echo',
        id: 'sub_echo',
        status: 'trialing',
        trialEnd: at('2026-02'),
        items: [{...plan('standard', 1000), quantity: 3}],
      },
      {
        customer: 'cus_fox',
        id: 'sub_fox',
        items: [{...plan('engage', 3000), quantity: 8}],
        discounts: [discount(half, at('2026-01') - 86_400)],
      },
    ],
    '2026-02': [
      {customer: 'cus_alpha', id: 'sub_alpha', items: [{...plan('pro_plus', 1500), quantity: 6}]},
      {customer: 'cus_bravo', id: 'sub_bravo', items: [{...plan('pro_plus', 1500), quantity: 7}]},
      {
        customer: 'cus_charlie',
        id: 'sub_charlie',
        items: [{...plan('pro_yearly', 180_000), interval: 'year', quantity: 2}],
      },
      {
        customer: 'cus_delta',
        id: 'sub_delta',
        currency: 'eur',
        items: [{...plan('standard', 900), currency: 'eur', quantity: 5}],
      },
      {
        customer: 'cus_echo',
        id: 'sub_echo',
        trialEnd: at('2026-02') - 3600,
        items: [{...plan('standard', 1000), quantity: 3}],
      },
      {
        customer: 'cus_fox',
        id: 'sub_fox',
        status: 'canceled',
        items: [{...plan('engage', 3000), quantity: 8}],
        discounts: [discount(half, at('2026-01') - 86_400)],
      },
    ],
    '2026-03': [
      {customer: 'cus_alpha', id: 'sub_alpha', status: 'past_due', items: [{...plan('pro_plus', 1500), quantity: 6}]},
      {
        customer: 'cus_bravo',
        id: 'sub_bravo',
        cancelAtPeriodEnd: true,
        items: [{...plan('pro_plus', 1500), quantity: 7}],
      },
      {
        customer: 'cus_charlie',
        id: 'sub_charlie',
        items: [{...plan('pro_yearly', 180_000), interval: 'year', quantity: 2}],
      },
      {
        customer: 'cus_delta',
        id: 'sub_delta',
        currency: 'eur',
        items: [{...plan('standard', 900), currency: 'eur', quantity: 9}],
      },
      {customer: 'cus_echo', id: 'sub_echo', items: [{...plan('standard', 1000), quantity: 3}]},
      {customer: 'cus_fox', id: 'sub_fox2', items: [{...plan('standard', 1000), quantity: 2}]},
    ],
    '2026-04': [
      {customer: 'cus_alpha', id: 'sub_alpha', status: 'unpaid', items: [{...plan('pro_plus', 1500), quantity: 6}]},
      {
        customer: 'cus_charlie',
        id: 'sub_charlie',
        items: [{...plan('pro_yearly', 180_000), interval: 'year', quantity: 2}],
      },
      {
        customer: 'cus_delta',
        id: 'sub_delta',
        currency: 'eur',
        items: [{...plan('standard', 900), currency: 'eur', quantity: 9}],
      },
      {customer: 'cus_echo', id: 'sub_echo', items: [{...plan('engage', 3000), quantity: 3}]},
      {customer: 'cus_fox', id: 'sub_fox2', items: [{...plan('standard', 1000), quantity: 2}]},
      {customer: 'cus_golf', id: 'sub_golf', items: [{...plan('free', 0), quantity: 1}]},
    ],
  }
  const items = Object.entries(readings).flatMap(([month, specs]) =>
    specs.flatMap((spec) => ledgerItemRows(subscription(spec), {month, at: at(month), definitions})),
  )
  return buildLedger(definitions, SAMPLE_MONTHS, items)
}
