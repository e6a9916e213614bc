import {Flags} from '@oclif/core'

import {BaseCommand, configFlags, outDirFlags, stripeFlags} from '../../base-command.js'
import {plural} from '../../render/plural.js'
import {formatTable} from '../../render/table.js'
import {type VerifyResult, verifyRun} from '../../run/verify.js'

export default class RunVerify extends BaseCommand<VerifyResult> {
  static summary =
    'Check the latest month against Stripe: every subscription of the run, and the MRR ledger when there is one'

  static description = `Reads current_run.json and sub_snapshots.json and lists each mismatch with its reason. Exit code 1 if any.

Without mrr_ledger.json: plan, quantity, MRR and status of every subscription in the latest month of sub_snapshots.json against Stripe.

With mrr_ledger.json: the ledger's latest month against the run's subscriptions read again from Stripe (one list per clock): status, interval, quantity, discounts in force, trial state and MRR by the ledger's definitions, listed per clock; and sub_snapshots.json against the ledger it is derived from.

With --months all (and mrr_ledger.json): every earlier month too, each month's rows against the renewal invoice Stripe made at the start of the next month (line, price, quantity, amount, paid or not), from one account-wide invoice listing. The months a run's clocks skipped were written from the plan: this is the check that they match what Stripe billed.`

  static examples = [
    '<%= config.bin %> run verify',
    '<%= config.bin %> run verify --months all',
    '<%= config.bin %> run verify --json',
  ]

  static flags = {
    ...stripeFlags,
    ...configFlags,
    ...outDirFlags,
    months: Flags.string({
      description:
        'latest: the latest month against Stripe now; all: every earlier month against its renewal invoices too',
      options: ['latest', 'all'],
      default: 'latest',
    }),
  }

  async run(): Promise<VerifyResult> {
    const {flags} = await this.parse(RunVerify)
    const {config} = await this.loadConfig(flags)
    const {gateway} = this.connect(flags, config.scheduler)
    const result = await verifyRun(gateway, this.outDir(flags), {months: flags.months === 'all' ? 'all' : 'latest'})
    if (result.ledger) this.sayLedger(result, result.ledger)
    else this.saySnapshots(result)
    if (result.renewals) this.sayRenewals(result.renewals)
    if (!result.ok) process.exitCode = 1
    return result
  }

  private sayRenewals(renewals: NonNullable<VerifyResult['renewals']>): void {
    const span = renewals.months.length > 0 ? `${renewals.months[0]}–${renewals.months.at(-1)}` : 'no earlier month'
    if (renewals.mismatches.length === 0) {
      this.say(
        `✔ the ledger's ${span} match Stripe's renewal invoices: ${plural(renewals.checked, 'row')} (line, price, quantity, amount, status)`,
      )
      return
    }
    this.say(
      formatTable(
        ['Month', 'Subscription', 'Customer', 'Field', 'Ledger', 'Renewal invoice'],
        renewals.mismatches.map((m) => [m.month, m.subscriptionId, m.customerId, m.field, m.expected, m.actual]),
      ),
    )
    this.say(
      `\n✘ ${plural(renewals.mismatches.length, 'mismatch', 'mismatches')} between the ledger's ${span} and Stripe's renewal invoices (${plural(renewals.checked, 'row')} checked)`,
    )
  }

  private saySnapshots(result: VerifyResult): void {
    if (result.ok) {
      this.say(
        `✔ ${result.checked} subscriptions of run ${result.runId} match Stripe for ${result.month} (${result.clocks} clocks)`,
      )
      return
    }
    this.say(
      formatTable(
        ['Subscription', 'Customer', 'Field', 'Snapshot', 'Stripe', 'Reason'],
        result.mismatches.map((m) => [m.subscriptionId, m.customerId, m.field, m.expected, m.actual, m.reason]),
      ),
    )
    this.say(
      `\n✘ ${plural(result.mismatches.length, 'mismatch', 'mismatches')} in ${result.checked} subscriptions of run ${result.runId} (${result.month})`,
    )
  }

  private sayLedger(result: VerifyResult, ledger: NonNullable<VerifyResult['ledger']>): void {
    if (ledger.mismatches.length > 0) {
      this.say(
        formatTable(
          ['Clock', 'Subscription', 'Customer', 'Field', 'Ledger', 'Stripe', 'Reason'],
          ledger.mismatches.map((m) => [
            m.clockId,
            m.subscriptionId,
            m.customerId,
            m.field,
            m.expected,
            m.actual,
            m.reason,
          ]),
        ),
      )
      this.say(
        `\n✘ ${plural(ledger.mismatches.length, 'mismatch', 'mismatches')} between the ledger's ${ledger.month} and Stripe (${plural(ledger.checked, 'subscription item')}, ${plural(result.clocks, 'clock')})`,
      )
    } else {
      this.say(
        `✔ the ledger's ${ledger.month} matches Stripe: ${plural(ledger.checked, 'subscription item')} of run ${result.runId} on ${plural(result.clocks, 'clock')} (status, interval, quantity, discounts, trial, MRR)`,
      )
    }
    if (result.mismatches.length > 0) {
      this.say(
        formatTable(
          ['Subscription', 'Customer', 'Field', 'Ledger', 'sub_snapshots.json', 'Reason'],
          result.mismatches.map((m) => [m.subscriptionId, m.customerId, m.field, m.expected, m.actual, m.reason]),
        ),
      )
      this.say(
        `\n✘ sub_snapshots.json differs from the ledger in ${plural(result.mismatches.length, 'place')} (${result.month})`,
      )
    } else {
      this.say(`✔ sub_snapshots.json's ${result.month} (${plural(result.checked, 'row')}) is what the ledger derives`)
    }
  }
}
