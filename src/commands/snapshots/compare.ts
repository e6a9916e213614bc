import {Args} from '@oclif/core'

import {BaseCommand, compareFlags, outDirFlags} from '../../base-command.js'
import type {Comparison} from '../../snapshots/compare/compare.js'
import {compareFile} from '../../snapshots/compare/from-file.js'
import type {Unit} from '../../snapshots/compare/input.js'
import {renderComparison} from '../../snapshots/compare/render.js'
import {readLedgerForCompare} from '../../snapshots/read.js'

export default class SnapshotsCompare extends BaseCommand<Comparison> {
  static summary = 'Compare your own MRR numbers with the ground truth, and say why each difference is there'

  static description = `Reads FILE (CSV or JSON) and mrr_ledger.json from --out-dir; never calls Stripe.

FILE holds rows per customer or per subscription per month, or totals per month. Default columns: month (YYYY-MM), customer_id or subscription_id, mrr, and optionally currency (without it every amount is in the ledger's reporting currency). A JSON file is an array of such objects (or {"rows": [...]}).

For each month and currency it prints your MRR beside the truth; then each customer (or subscription) whose MRR differs, with the cause when the ledger can see one: a trialing subscription counted, a yearly price not normalised, a once or repeating coupon subtracted, a forever coupon not subtracted, a scheduled cancellation counted after the request, past_due dropped, unpaid or canceled counted, quantity ignored, currencies summed unconverted, a metered price counted, a reactivation missed. Otherwise "unexplained", with both values.

Exit code 0 when every number matches within --tolerance, 1 when one does not (for CI), 2 for a bad file or flag.`

  static examples = [
    '<%= config.bin %> snapshots compare dashboard.csv',
    '<%= config.bin %> snapshots compare etl.csv --columns mrr=amount --unit cents',
    '<%= config.bin %> snapshots compare totals.json --tolerance 100 --json',
  ]

  static args = {
    file: Args.string({description: 'Your MRR numbers: a .csv or .json file', required: true}),
  }

  static flags = {...outDirFlags, ...compareFlags}

  async run(): Promise<Comparison> {
    const {args, flags} = await this.parse(SnapshotsCompare)
    const {ledger} = await readLedgerForCompare(this.outDir(flags))
    const comparison = await compareFile(ledger, {...flags, file: args.file, unit: flags.unit as Unit})
    this.say(renderComparison(comparison, args.file))
    if (!comparison.matches) process.exitCode = 1
    return comparison
  }
}
