import {Flags} from '@oclif/core'
import {createInterface} from 'node:readline/promises'

import {BaseCommand} from '../../base-command.js'
import {type CleanupResult, deleteClocks, isSeedClock, listClocks} from '../../clocks/cleanup.js'
import {UsageError, UserError} from '../../errors.js'
import {ClockWatcher} from '../../clocks/watcher.js'

export default class ClocksCleanup extends BaseCommand<CleanupResult> {
  static summary = 'Delete the test clocks stripe-seed created, with their customers and subscriptions'

  static description = `Deleting a test clock deletes every customer and subscription on it (Stripe's rule). Only clocks whose name starts
with "stripe-seed:" are selected, so other tools' clocks are left alone, unless --all. Clocks still advancing are
waited for first.`

  static examples = ['<%= config.bin %> clocks cleanup --dry-run', '<%= config.bin %> clocks cleanup', '<%= config.bin %> clocks cleanup --all --yes']

  static flags = {
    all: Flags.boolean({description: 'Delete EVERY test clock in the account, other tools\' included (asks for confirmation)'}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation (required for --all without a terminal)'}),
    'dry-run': Flags.boolean({description: 'List what would be deleted, delete nothing'}),
  }

  async run(): Promise<CleanupResult> {
    const {flags} = await this.parse(ClocksCleanup)
    const {config} = await this.loadConfig(flags)
    if (flags.all && !flags.yes && !flags['dry-run'] && !process.stdin.isTTY) {
      throw new UsageError('--all deletes every test clock in the account, other tools\' included; without a terminal to confirm, add --yes')
    }
    const {gateway} = this.connect(flags, config.scheduler)
    const clocks = await listClocks(gateway)
    const ours = clocks.filter(isSeedClock)
    const selected = flags.all ? clocks : ours
    const others = clocks.length - ours.length
    for (const clock of selected) this.say(`  ${clock.id}  ${clock.status.padEnd(16)}  ${clock.name ?? '(no name)'}`)
    if (flags['dry-run'] || selected.length === 0) {
      this.say(`${selected.length} clock${selected.length === 1 ? '' : 's'} ${flags['dry-run'] ? 'would be deleted' : 'to delete'}${!flags.all && others > 0 ? ` (${others} other clocks left alone)` : ''}`)
      return {selected, deleted: [], failed: [], dryRun: flags['dry-run']}
    }
    if (flags.all && !flags.yes && !(await this.confirm(`Delete all ${selected.length} test clocks in this account, with their customers and subscriptions, ${others} of them not made by stripe-seed? [y/N] `))) {
      throw new UserError('Nothing deleted.')
    }
    let done = 0
    const result = await deleteClocks(gateway, new ClockWatcher(gateway), selected, {
      advanceTimeoutMs: config.advanceTimeoutSeconds * 1000,
      onDeleted: () => {
        done++
        if (!this.jsonEnabled() && process.stderr.isTTY) process.stderr.write(`\rdeleting… ${done}/${selected.length}`)
      },
    })
    if (process.stderr.isTTY && !this.jsonEnabled()) process.stderr.write('\n')
    this.say(`Deleted ${result.deleted.length} of ${selected.length} clocks${!flags.all && others > 0 ? ` (${others} other clocks left alone)` : ''}`)
    for (const failure of result.failed) this.say(`  could not delete ${failure.id}: ${failure.reason}`)
    if (result.failed.length > 0) process.exitCode = 1
    return {selected, ...result, dryRun: false}
  }

  private async confirm(question: string): Promise<boolean> {
    const rl = createInterface({input: process.stdin, output: process.stderr})
    try {
      return /^y(es)?$/i.test((await rl.question(question)).trim())
    } finally {
      rl.close()
    }
  }
}
