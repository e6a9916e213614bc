import {Flags} from '@oclif/core'
import {access} from 'node:fs/promises'

import {BaseCommand, outDirFlags} from '../../base-command.js'
import {UsageError} from '../../errors.js'
import type {SnapshotRow} from '../../files/formats.js'
import {type LedgerItemRow, ledgerFile} from '../../files/ledger.js'
import {describeMonths, isValidMonth} from '../../render/month.js'
import {type LedgerView, ledgerView, renderLedgerMonth, renderLedgerView} from '../../snapshots/ledger-view.js'
import {type MonthSummary, summarizeMonths} from '../../snapshots/movements.js'
import {readSnapshotRows, readViewInput} from '../../snapshots/read.js'
import {renderMonthRows, renderSummaries} from '../../snapshots/render.js'

export type SnapshotsShowResult =
  | {months: MonthSummary[]}
  | {month: string; subscriptions: SnapshotRow[]}
  | ({source: 'mrr_ledger.json'} & LedgerView)
  | {source: 'mrr_ledger.json'; month: string; items: LedgerItemRow[]}

export default class SnapshotsShow extends BaseCommand<SnapshotsShowResult> {
  static summary = 'Show the monthly subscription snapshots: MRR by plan and month, and what moved it'

  static description = `Reads sub_snapshots.json (written by \`run generate\`); never calls Stripe.

When the run wrote mrr_ledger.json it is read instead: MRR per currency (and the total in the reporting currency where the ledger's definitions give fixed rates), MRR and live subscriptions by plan (named and ordered as stripe_prices.json lists them), subscriptions by interval, trials, the discounts in force and the movements per currency; --month lists that month's subscription items as the ledger holds them.

Definitions, as in Stripe's billing analytics:
- MRR: the sum of price × screens over active and past_due subscriptions; free plans carry none.
- new: a customer's MRR goes from 0 to above 0 for the first time.
- expansion: a customer's MRR rises.
- contraction: a customer's MRR falls but stays above 0.
- churn: a customer's MRR falls to 0: the subscription is gone (canceled, or ended by failed payments) or moved to a free plan.
- reactivation: a customer who had churned pays again.`

  static examples = [
    '<%= config.bin %> snapshots show',
    '<%= config.bin %> snapshots show --month 2026-09',
    '<%= config.bin %> snapshots show --format csv > mrr.csv',
  ]

  static flags = {
    ...outDirFlags,
    month: Flags.string({description: "List that month's subscriptions (YYYY-MM)"}),
    format: Flags.string({
      description: 'Output format',
      options: ['table', 'csv', 'json'],
      default: 'table',
      exclusive: ['json'],
    }),
  }

  async run(): Promise<SnapshotsShowResult> {
    const {flags} = await this.parse(SnapshotsShow)
    const format = flags.format as 'table' | 'csv' | 'json'
    const asJson = format === 'json' && !this.jsonEnabled()
    if (flags.month !== undefined && !isValidMonth(flags.month))
      throw new UsageError(`--month "${flags.month}" is not a valid month: give YYYY-MM, e.g. 2026-09`)
    const ledgerPath = ledgerFile(this.outDir(flags))
    if (await exists(ledgerPath)) return this.showLedger(this.outDir(flags), flags.month, format, asJson)

    const {rows, path: file} = await readSnapshotRows(this.outDir(flags))
    if (flags.month !== undefined) {
      const subscriptions = rows.filter((row) => row.month === flags.month)
      if (subscriptions.length === 0) {
        const months = [...new Set(rows.map((row) => row.month))].sort()
        throw new UsageError(`No snapshot for ${flags.month}; ${file} has ${describeMonths(months)}`)
      }
      const result = {month: flags.month, subscriptions}
      if (asJson) this.log(JSON.stringify(result, null, 2))
      else this.say(renderMonthRows(subscriptions, format === 'csv' ? 'csv' : 'table'))
      return result
    }
    const months = summarizeMonths(rows)
    const result = {months}
    if (asJson) this.log(JSON.stringify(result, null, 2))
    else this.say(renderSummaries(months, format === 'csv' ? 'csv' : 'table', planOrder(rows)))
    return result
  }

  private async showLedger(
    outDir: string,
    month: string | undefined,
    format: 'table' | 'csv' | 'json',
    asJson: boolean,
  ): Promise<SnapshotsShowResult> {
    const {ledger, path, plans} = await readViewInput(outDir)
    const source = 'mrr_ledger.json' as const
    if (month !== undefined) {
      const items = ledger.items.filter((item) => item.month === month)
      if (!ledger.months.includes(month)) {
        throw new UsageError(`No reading for ${month}; ${path} has ${describeMonths(ledger.months)}`)
      }
      const result = {source, month, items}
      if (asJson) this.log(JSON.stringify(result, null, 2))
      else this.say(renderLedgerMonth(items, format === 'csv' ? 'csv' : 'table', plans.names))
      return result
    }
    const result = {source, ...ledgerView(ledger, plans)}
    if (asJson) this.log(JSON.stringify(result, null, 2))
    else this.say(renderLedgerView(result, format === 'csv' ? 'csv' : 'table'))
    return result
  }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )

/** Plans ordered by price, cheapest first, as they appear in the rows. */
function planOrder(rows: SnapshotRow[]): string[] {
  const amount = new Map<string, number>()
  for (const row of rows) amount.set(row.plan, row.price_amount)
  return [...amount.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).map(([plan]) => plan)
}
