import type {LedgerFile} from '../files/ledger.js'
import {toCsv} from '../snapshots/render.js'
import {majorUnits} from './definitions.js'
import {monthMetrics} from './metrics.js'
import type {LedgerSource} from './store.js'

/**
 * CSVs shaped like the three downloads of Stripe's Billing analytics (SB-M5; the
 * reports are named and described by docs.stripe.com/billing/subscriptions/view-metrics, their
 * columns are not published): the names below are ours, the terms Stripe's glossary's. Amounts
 * are in major units of the row's currency ("1234.56"), as a spreadsheet expects.
 */

export const EXPORT_FILES = {
  mrrPerSubscriber: 'mrr_per_subscriber_per_month.csv',
  customerChanges: 'customer_mrr_changes.csv',
  summary: 'subscription_metrics_summary.csv',
} as const

/** "MRR per subscriber per month": each subscriber's MRR at each month's reading, one row per month, customer and currency. */
export function mrrPerSubscriberCsv(ledger: LedgerFile): string {
  const rows = ledger.customers.filter((row) => row.mrr > 0)
  return toCsv(
    ['month', 'customer_id', 'currency', 'mrr'],
    rows.map((row) => [row.month, row.customer_id, row.currency, majorUnits(row.mrr, row.currency)]),
  )
}

/** "Customer MRR changes": every change in a customer's MRR, typed new, expansion, contraction, churn or reactivation. */
export function customerChangesCsv(ledger: LedgerFile): string {
  const rows = ledger.customers.filter((row) => row.movement !== null)
  return toCsv(
    ['month', 'customer_id', 'currency', 'type', 'mrr_before', 'mrr_after', 'mrr_change'],
    rows.map((row) => [
      row.month,
      row.customer_id,
      row.currency,
      row.movement!,
      majorUnits(row.previous_mrr, row.currency),
      majorUnits(row.mrr, row.currency),
      majorUnits(row.change, row.currency),
    ]),
  )
}

/** "Subscription metrics summary": the MRR and active-subscriber roll-forwards per month and currency, trials, ARPU and churn rate. */
export function summaryCsv(ledger: LedgerFile): string {
  const rows = monthMetrics(ledger).flatMap((month) =>
    month.currencies.map((c) => {
      const m = (minor: number) => majorUnits(minor, c.currency)
      return [
        month.month,
        c.currency,
        m(c.mrr - c.movements.net),
        m(c.movements.new),
        m(c.movements.expansion),
        m(c.movements.reactivation),
        m(c.movements.contraction),
        m(c.movements.churn),
        m(c.mrr),
        c.subscribers.starting,
        c.subscribers.new,
        c.subscribers.reactivated,
        c.subscribers.churned,
        c.subscribers.ending,
        c.trials.started,
        c.trials.converted,
        c.arpu === null ? '' : m(Math.round(c.arpu)),
        c.subscribers.churnRate === null ? '' : c.subscribers.churnRate.toFixed(4),
      ]
    }),
  )
  return toCsv(
    [
      'month',
      'currency',
      'starting_mrr',
      'new_mrr',
      'expansion_mrr',
      'reactivation_mrr',
      'contraction_mrr',
      'churned_mrr',
      'ending_mrr',
      'starting_active_subscribers',
      'new_subscribers',
      'reactivated_subscribers',
      'churned_subscribers',
      'ending_active_subscribers',
      'new_trials',
      'trial_conversions',
      'arpu',
      'subscriber_churn_rate',
    ],
    rows,
  )
}

export interface ExportResult {
  source: LedgerSource
  read: string
  months: number
  files: Record<keyof typeof EXPORT_FILES, string>
}
