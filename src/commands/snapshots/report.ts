import {Flags} from '@oclif/core'

import {BaseCommand, compareFlags, outDirFlags} from '../../base-command.js'
import type {Unit} from '../../snapshots/compare/input.js'
import {REPORT_FILE_NAME, type ReportResult, writeReport} from '../../snapshots/report/write.js'

export default class SnapshotsReport extends BaseCommand<ReportResult> {
  static summary = 'Write a self-contained HTML report of the MRR ground truth'

  static description = `Reads mrr_ledger.json (else sub_snapshots.json) from --out-dir; never calls Stripe. Writes ${REPORT_FILE_NAME} beside it: MRR over time, movements per month and a waterfall, MRR and customers by plan, ARPU, subscriber churn rate and the customer-level table, per currency.

The page needs no network: data and charting library are inline. Open it next to your own dashboard to compare.`

  static examples = [
    '<%= config.bin %> snapshots report',
    '<%= config.bin %> snapshots report --out-dir ./config --json',
    '<%= config.bin %> snapshots report --compare dashboard.csv',
  ]

  static flags = {
    ...outDirFlags,
    compare: Flags.string({
      description:
        'Also compare your MRR numbers (a CSV or JSON file, as `snapshots compare` reads) and add the result',
    }),
    ...compareFlags,
  }

  async run(): Promise<ReportResult> {
    const {flags} = await this.parse(SnapshotsReport)
    const result = await writeReport(this.outDir(flags), {
      compare: flags.compare === undefined ? undefined : {...flags, file: flags.compare, unit: flags.unit as Unit},
    })
    this.say(
      `Read ${result.read} (${result.months} months); wrote ${result.file} (${Math.round(result.bytes / 1024)} KB)`,
    )
    if (result.comparison)
      this.say(
        result.comparison.matches
          ? `Your numbers in ${flags.compare} match the truth.`
          : `Your numbers in ${flags.compare} differ from the truth in ${result.comparison.differences.length} place(s): see the report's comparison, or run \`snapshots compare\`.`,
      )
    return result
  }
}
