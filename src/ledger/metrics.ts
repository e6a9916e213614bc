import type {LedgerFile} from '../files/ledger.js'
import {groupBy} from '../group-by.js'
import {type MovementTotals, sumMovements} from './movements.js'

/**
 * The month's numbers a Billing-analytics dashboard shows, from the ledger alone (views never
 * call Stripe). MRR and movements are per currency; subscriber counts are per customer, across
 * currencies (SB-M4: an active subscriber has at least one paid active or past_due subscription).
 */

export interface CurrencyMonth {
  currency: string
  mrr: number
  movements: MovementTotals
  /** Customers with MRR in this currency, at the previous reading and now, and what moved between. */
  subscribers: {
    starting: number
    new: number
    reactivated: number
    churned: number
    ending: number
    churnRate: number | null
  }
  /**
   * Trials: subscriptions trialing at this reading that were not at the previous one, and those
   * trialing at the previous reading that now count towards MRR (Stripe's trial conversion also asks
   * for a paid invoice, which the ledger does not read: ours is the status at the reading).
   */
  trials: {started: number; converted: number}
  /** MRR ÷ active subscribers (ending), in minor units, unrounded; null with no subscriber. */
  arpu: number | null
  byPlan: Array<{plan: string; mrr: number; customers: number}>
}

export interface SubscriberMonth {
  active: number
  new: number
  reactivated: number
  churned: number
  /**
   * Stripe's subscriber churn rate (SB-M4) over the month between two readings instead of a
   * rolling 30 days: churned ÷ (active at the previous reading + new + reactivated). Null when 0/0.
   */
  churnRate: number | null
}

export interface MonthMetrics {
  month: string
  /**
   * The first reading: where the history starts. Its MRR is the opening balance, not movements
   * (the ledger file classifies it as `new`, from nothing; views show it as the opening, so that
   * month neither reads as growth nor flattens every real movement in a chart).
   */
  opening: boolean
  subscribers: SubscriberMonth
  currencies: CurrencyMonth[]
  /** Total MRR in the reporting currency, only when every currency of the month has a rate. */
  reporting: {currency: string; mrr: number} | null
}

export function monthMetrics(ledger: LedgerFile): MonthMetrics[] {
  const itemsByMonth = groupBy(ledger.items, (item) => item.month)
  const customersByMonth = groupBy(ledger.customers, (row) => row.month)
  const everActive = new Set<string>()
  let activeBefore = new Set<string>()
  let trialingBefore = new Set<string>()
  return ledger.months.map((month, index) => {
    const opening = index === 0
    const items = itemsByMonth.get(month) ?? []
    const customerRows = customersByMonth.get(month) ?? []
    const mrrByCustomer = new Map<string, number>()
    for (const row of customerRows)
      mrrByCustomer.set(row.customer_id, (mrrByCustomer.get(row.customer_id) ?? 0) + row.mrr)
    const active = new Set([...mrrByCustomer].filter(([, mrr]) => mrr > 0).map(([customer]) => customer))
    const started = [...active].filter((customer) => !activeBefore.has(customer))
    const reactivated = started.filter((customer) => everActive.has(customer)).length
    const churned = [...activeBefore].filter((customer) => !active.has(customer)).length
    const base = activeBefore.size + started.length
    const subscribers: SubscriberMonth = opening
      ? {active: active.size, new: 0, reactivated: 0, churned: 0, churnRate: null}
      : {
          active: active.size,
          new: started.length - reactivated,
          reactivated,
          churned,
          churnRate: base === 0 ? null : churned / base,
        }
    for (const customer of active) everActive.add(customer)
    activeBefore = active

    const trialing = new Set(items.filter((item) => item.status === 'trialing').map((item) => item.subscription_id))
    const trialsBefore = trialingBefore
    trialingBefore = trialing

    const currencies = [...new Set([...items.map((i) => i.currency), ...customerRows.map((r) => r.currency)])].sort()
    const perCurrency = currencies.map((currency): CurrencyMonth => {
      const rows = customerRows.filter((row) => row.currency === currency)
      const counted = items.filter((item) => item.currency === currency && item.excluded === null)
      const mrr = rows.reduce((sum, row) => sum + row.mrr, 0)
      const activeHere = rows.filter((row) => row.mrr > 0).length
      const count = (movement: string) => rows.filter((row) => row.movement === movement).length
      const starting = opening ? activeHere : rows.filter((row) => row.previous_mrr > 0).length
      const moved = opening
        ? {new: 0, reactivated: 0, churned: 0}
        : {new: count('new'), reactivated: count('reactivation'), churned: count('churn')}
      const denominator = starting + moved.new + moved.reactivated
      const plans = groupBy(counted, (item) => item.plan)
      const subscriptionsHere = (list: typeof items) =>
        new Set(list.filter((item) => item.currency === currency).map((item) => item.subscription_id))
      const trials = {
        started: [...subscriptionsHere(items.filter((item) => item.status === 'trialing'))].filter(
          (id) => !trialsBefore.has(id),
        ).length,
        converted: [...subscriptionsHere(counted.filter((item) => item.mrr > 0))].filter((id) => trialsBefore.has(id))
          .length,
      }
      return {
        currency,
        mrr,
        movements: opening ? sumMovements([]) : sumMovements(rows),
        subscribers: {
          starting,
          ...moved,
          ending: activeHere,
          churnRate: opening || denominator === 0 ? null : moved.churned / denominator,
        },
        trials,
        arpu: activeHere === 0 ? null : mrr / activeHere,
        byPlan: [...plans].map(([plan, planItems]) => ({
          plan,
          mrr: planItems.reduce((sum, item) => sum + item.mrr, 0),
          customers: new Set(planItems.map((item) => item.customer_id)).size,
        })),
      }
    })
    const convertible = items.every((item) => item.mrr_reporting !== null)
    const reporting = convertible
      ? {
          currency: ledger.definitions.reportingCurrency,
          mrr: items.reduce((sum, item) => sum + (item.mrr_reporting ?? 0), 0),
        }
      : null
    return {month, opening, subscribers, currencies: perCurrency, reporting}
  })
}
