import {BaseCommand, configFlags, outDirFlags, stripeFlags} from '../../base-command.js'
import {formatTable} from '../../render/table.js'
import {type VerifyResult, verifyRun} from '../../run/verify.js'

export default class RunVerify extends BaseCommand<VerifyResult> {
  static summary = 'Check the latest snapshot against Stripe: plan, quantity, MRR and status of every subscription of the run'

  static description = 'Reads current_run.json and sub_snapshots.json and lists each mismatch with its reason. Exit code 1 if any.'

  static examples = ['<%= config.bin %> run verify', '<%= config.bin %> run verify --json']

  static flags = {...stripeFlags, ...configFlags, ...outDirFlags}

  async run(): Promise<VerifyResult> {
    const {flags} = await this.parse(RunVerify)
    const {config} = await this.loadConfig(flags)
    const {gateway} = this.connect(flags, config.scheduler)
    const result = await verifyRun(gateway, this.outDir(flags))
    if (result.ok) {
      this.say(`✔ ${result.checked} subscriptions of run ${result.runId} match Stripe for ${result.month} (${result.clocks} clocks)`)
    } else {
      this.say(formatTable(['Subscription', 'Customer', 'Field', 'Snapshot', 'Stripe', 'Reason'], result.mismatches.map((m) => [m.subscriptionId, m.customerId, m.field, m.expected, m.actual, m.reason])))
      this.say(`\n✘ ${result.mismatches.length} mismatch${result.mismatches.length === 1 ? '' : 'es'} in ${result.checked} subscriptions of run ${result.runId} (${result.month})`)
      process.exitCode = 1
    }
    return result
  }
}
