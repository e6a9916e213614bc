import {BaseCommand, outDirFlags} from '../../base-command.js'
import {REPORT_FILE_NAME, type ReportResult, writeReport} from '../../snapshots/report/write.js'

export default class SnapshotsReport extends BaseCommand<ReportResult> {
  static summary = 'Write a self-contained HTML report of the MRR ground truth'

  static description = `Reads mrr_ledger.json (else sub_snapshots.json) from --out-dir; never calls Stripe. Writes ${REPORT_FILE_NAME} beside it: MRR over time, movements per month and a waterfall, MRR and customers by plan, ARPU, subscriber churn rate and the customer-level table, per currency.

The page needs no network: data and charting library are inline. Open it next to your own dashboard to compare.`

  static examples = [
    '<%= config.bin %> snapshots report',
    '<%= config.bin %> snapshots report --out-dir ./config --json',
  ]

  static flags = {...outDirFlags}

  async run(): Promise<ReportResult> {
    const {flags} = await this.parse(SnapshotsReport)
    const result = await writeReport(this.outDir(flags))
    this.say(
      `Read ${result.read} (${result.months} months); wrote ${result.file} (${Math.round(result.bytes / 1024)} KB)`,
    )
    return result
  }
}
