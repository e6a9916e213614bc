import {BaseCommand, outDirFlags} from '../../base-command.js'
import {EXPORT_FILES, type ExportResult} from '../../ledger/exports.js'
import {exportCsvs} from '../../snapshots/export.js'

export default class SnapshotsExport extends BaseCommand<ExportResult> {
  static summary = "Write CSVs shaped like Stripe Billing analytics' downloads"

  static description = `Reads mrr_ledger.json (else sub_snapshots.json) from --out-dir; never calls Stripe. Writes beside it:
- ${EXPORT_FILES.mrrPerSubscriber}: each subscriber's MRR at each month's reading.
- ${EXPORT_FILES.customerChanges}: every change in a customer's MRR (new, expansion, contraction, churn, reactivation).
- ${EXPORT_FILES.summary}: MRR and active-subscriber roll-forwards, ARPU and churn rate per month.

Amounts are in major units of each row's currency. Column names are ours: Stripe does not publish its own (see the README).`

  static examples = [
    '<%= config.bin %> snapshots export',
    '<%= config.bin %> snapshots export --out-dir ./config --json',
  ]

  static flags = {...outDirFlags}

  async run(): Promise<ExportResult> {
    const {flags} = await this.parse(SnapshotsExport)
    const result = await exportCsvs(this.outDir(flags))
    this.say(
      `Read ${result.read} (${result.months} months); wrote:\n${Object.values(result.files)
        .map((file) => `  ${file}`)
        .join('\n')}`,
    )
    return result
  }
}
