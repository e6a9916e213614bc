import {UsageError} from '../../errors.js'
import type {LedgerFile, LedgerItemRow} from '../../files/ledger.js'
import {minorUnitRate} from '../../ledger/definitions.js'
import {CAUSES, CAUSE_IDS, type Cause, type EvaluatedItem, itemMrr} from './causes.js'
import type {Grain, TheirNumbers} from './input.js'

/**
 * `snapshots compare`: the user's MRR beside the ledger's, and for each difference the mistake in
 * their definitions that explains it, found by recomputing the ledger's items under each mistake
 * (then each pair of them) until one gives their number. Pure: ledger and their rows in, result out.
 */

export interface MonthLine {
  month: string
  currency: string
  yours: number
  truth: number
  difference: number
}

export interface Difference {
  month: string
  /** customer_id or subscription_id, per the file's rows; '' for totals. */
  key: string
  currency: string
  /** Where the number is: on both sides, only in theirs (the truth has no MRR there), or only in the truth. */
  side: 'both' | 'yours' | 'truth'
  yours: number
  truth: number
  difference: number
  /** The mistakes that give their number exactly (within tolerance); empty when unexplained. Several: any one of them does. */
  causes: Cause[]
  /** True when the causes are needed together (a pair); false for a single cause or alternatives. */
  combined: boolean
  explanation: string
}

export interface Comparison {
  grain: Grain
  /** Currency of rows without one: the ledger's reporting currency. */
  reportingCurrency: string
  tolerance: number
  matches: boolean
  months: MonthLine[]
  differences: Difference[]
  /** Their months the ledger does not hold: left out of the comparison. */
  monthsNotInLedger: string[]
}

interface Group {
  month: string
  key: string
  currency: string
  items: EvaluatedItem[]
  /** Items whose MRR the mistakes cannot recompute (the ledger's own definitions did not reproduce it): fixed at the truth. */
  fixed: number
}

const NONE = new Set<Cause>()
const groupKey = (month: string, key: string, currency: string) => `${month}\u0000${key}\u0000${currency}`

export function compareWithLedger(ledger: LedgerFile, theirs: TheirNumbers, options: {tolerance: number}): Comparison {
  const {definitions} = ledger
  const reporting = definitions.reportingCurrency
  if (!theirs.hasCurrency) {
    const missing = [...new Set(ledger.items.map((item) => item.currency))].filter(
      (currency) => minorUnitRate(definitions, currency) === undefined,
    )
    if (missing.length > 0)
      throw new UsageError(
        `Your rows have no currency column and the ledger holds ${missing.join(', ').toUpperCase()} with no fixed rate to ${reporting.toUpperCase()}: add a currency column`,
      )
  }
  const targetOf = (row: LedgerItemRow) => (theirs.hasCurrency ? row.currency : reporting)
  const keyOf = (row: LedgerItemRow) =>
    theirs.grain === 'customer' ? row.customer_id : theirs.grain === 'subscription' ? row.subscription_id : ''
  const truthOf = (row: LedgerItemRow, ghost: boolean) =>
    ghost ? 0 : targetOf(row) === row.currency ? row.mrr : (row.mrr_reporting ?? 0)

  const groups = new Map<string, Group>()
  for (const item of evaluatedItems(ledger)) {
    const {row} = item
    const currency = targetOf(row)
    const k = groupKey(row.month, keyOf(row), currency)
    const group = groups.get(k) ?? {month: row.month, key: keyOf(row), currency, items: [], fixed: 0}
    const truth = truthOf(row, item.ghost)
    if (itemMrr(item, NONE, definitions, currency) === truth) group.items.push(item)
    else group.fixed += truth
    groups.set(k, group)
  }

  const months = new Set(ledger.months)
  const yours = new Map<string, number>()
  const monthsNotInLedger = new Set<string>()
  for (const row of theirs.rows) {
    if (!months.has(row.month)) {
      monthsNotInLedger.add(row.month)
      continue
    }
    const currency = row.currency ?? reporting
    const k = groupKey(row.month, row.key, currency)
    yours.set(k, (yours.get(k) ?? 0) + row.mrr)
    if (!groups.has(k)) groups.set(k, {month: row.month, key: row.key, currency, items: [], fixed: 0})
  }

  const lines = new Map<string, MonthLine>()
  const differences: Difference[] = []
  const sum = (group: Group, mistakes: ReadonlySet<Cause>) =>
    group.items.reduce(
      (total, item) => total + (itemMrr(item, mistakes, definitions, group.currency) ?? 0),
      group.fixed,
    )
  for (const [k, group] of groups) {
    const truth = sum(group, NONE)
    const mine = yours.get(k)
    const theirsValue = mine ?? 0
    const lineKey = `${group.month}\u0000${group.currency}`
    const line = lines.get(lineKey) ?? {month: group.month, currency: group.currency, yours: 0, truth: 0, difference: 0}
    line.yours += theirsValue
    line.truth += truth
    line.difference = line.yours - line.truth
    lines.set(lineKey, line)
    if (Math.abs(theirsValue - truth) <= options.tolerance) continue
    const {causes, combined} = explain(group, truth, theirsValue, options.tolerance, sum)
    differences.push({
      month: group.month,
      key: group.key,
      currency: group.currency,
      side: mine === undefined ? 'truth' : truth === 0 ? 'yours' : 'both',
      yours: theirsValue,
      truth,
      difference: theirsValue - truth,
      causes,
      combined,
      explanation:
        causes.length === 0 ? 'unexplained' : causes.map((cause) => CAUSES[cause]).join(combined ? ' and ' : ', or '),
    })
  }
  const byMonth = (a: {month: string; currency: string}, b: {month: string; currency: string}) =>
    a.month.localeCompare(b.month) || a.currency.localeCompare(b.currency)
  return {
    grain: theirs.grain,
    reportingCurrency: reporting,
    tolerance: options.tolerance,
    matches: differences.length === 0,
    months: [...lines.values()].sort(byMonth),
    differences: differences.sort((a, b) => byMonth(a, b) || a.key.localeCompare(b.key)),
    monthsNotInLedger: [...monthsNotInLedger].sort(),
  }
}

/** The single mistakes that give their number; failing those, the first pairs that do. */
function explain(
  group: Group,
  truth: number,
  theirs: number,
  tolerance: number,
  sum: (group: Group, mistakes: ReadonlySet<Cause>) => number,
): {causes: Cause[]; combined: boolean} {
  const close = (value: number) => Math.abs(value - theirs) <= tolerance
  // Only mistakes that change this group's MRR can explain a difference in it.
  const applicable = CAUSE_IDS.filter((cause) => sum(group, new Set([cause])) !== truth)
  const singles = applicable.filter((cause) => close(sum(group, new Set([cause]))))
  if (singles.length > 0) return {causes: singles, combined: false}
  // A pair may need a mistake that alone changes nothing here (quantity ignored on a trial that is not counted).
  for (const [index, first] of CAUSE_IDS.entries())
    for (const second of CAUSE_IDS.slice(index + 1))
      if (close(sum(group, new Set([first, second])))) return {causes: [first, second], combined: true}
  return {causes: [], combined: false}
}

/**
 * The ledger's items, plus for every month after a subscription was canceled a "ghost" of its
 * last row (the ledger lists an ended subscription only in the month it ended; a dashboard that
 * keeps counting it counts it there), each marked when it is the subscription a churned customer
 * came back on.
 */
function evaluatedItems(ledger: LedgerFile): EvaluatedItem[] {
  const reactivating = reactivatingSubscriptions(ledger)
  const byMonth = new Map<string, LedgerItemRow[]>(ledger.months.map((month) => [month, []]))
  for (const item of ledger.items) byMonth.get(item.month)?.push(item)
  const ended = new Map<string, LedgerItemRow>()
  const out: EvaluatedItem[] = []
  for (const month of ledger.months) {
    const rows = byMonth.get(month)!
    const listed = new Set(rows.map((row) => row.item_id))
    for (const [itemId, last] of ended)
      if (!listed.has(itemId)) out.push({row: {...last, month}, ghost: true, reactivating: false})
    for (const row of rows) {
      out.push({row, ghost: false, reactivating: reactivating.has(row.subscription_id)})
      if (row.status === 'canceled') ended.set(row.item_id, row)
      else ended.delete(row.item_id)
    }
  }
  return out
}

/** Subscriptions that first carried MRR in a month where their customer's movement is a reactivation. */
function reactivatingSubscriptions(ledger: LedgerFile): Set<string> {
  const reactivations = new Set(
    ledger.customers
      .filter((row) => row.movement === 'reactivation')
      .map((row) => `${row.month}\u0000${row.customer_id}`),
  )
  const paidBefore = new Set<string>()
  const result = new Set<string>()
  for (const month of ledger.months) {
    const paid = ledger.items.filter((item) => item.month === month && item.mrr > 0)
    for (const item of paid)
      if (!paidBefore.has(item.subscription_id) && reactivations.has(`${month}\u0000${item.customer_id}`))
        result.add(item.subscription_id)
    for (const item of paid) paidBefore.add(item.subscription_id)
  }
  return result
}
