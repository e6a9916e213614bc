import {Flags} from '@oclif/core'
import {createInterface} from 'node:readline/promises'

import {BaseCommand, configFlags, outDirFlags, stripeFlags} from '../../base-command.js'
import {type CleanupResult, deleteClocks, isSeedClock, listClocks, selectRunClocks} from '../../clocks/cleanup.js'
import {ClockWatcher} from '../../clocks/watcher.js'
import {UsageError} from '../../errors.js'
import {plural} from '../../render/plural.js'
import {earlierRuns, forgetCleanedRuns} from '../../run/earlier-runs.js'
import {lockOutDir} from '../../run/preflight.js'

export type ClocksCleanupResult = CleanupResult & {scope: 'out-dir' | 'all-runs' | 'all'; declined?: boolean}

export default class ClocksCleanup extends BaseCommand<ClocksCleanupResult> {
  static summary = "Delete the test clocks of this out-dir's runs, with their customers"

  static description = `Deleting a test clock deletes every customer and subscription on it (Stripe's rule). By default only the clocks of the runs this out-dir knows are selected (its run journals and current_run.json, clocks of crashed runs included), so another out-dir's run, a teammate's, or another tool's clocks are left alone. --all-runs selects every stripe-seed clock in the account; --all every clock, anyone's. Both ask for confirmation. Clocks still advancing are waited for first.`

  static examples = [
    '<%= config.bin %> clocks cleanup --dry-run',
    '<%= config.bin %> clocks cleanup',
    '<%= config.bin %> clocks cleanup --all-runs',
    '<%= config.bin %> clocks cleanup --all --yes',
  ]

  static flags = {
    ...stripeFlags,
    ...configFlags,
    ...outDirFlags,
    'all-runs': Flags.boolean({
      description:
        "Delete EVERY stripe-seed clock in the account, other out-dirs' and teammates' runs included (asks for confirmation)",
      exclusive: ['all'],
    }),
    all: Flags.boolean({
      description: "Delete EVERY test clock in the account, other tools' included (asks for confirmation)",
    }),
    yes: Flags.boolean({
      char: 'y',
      description: 'Do not ask for confirmation (required for --all and --all-runs without a terminal)',
    }),
    'dry-run': Flags.boolean({description: 'List what would be deleted, delete nothing'}),
  }

  async run(): Promise<ClocksCleanupResult> {
    const {flags} = await this.parse(ClocksCleanup)
    const {config} = await this.loadConfig(flags)
    const scope = flags.all ? 'all' : flags['all-runs'] ? 'all-runs' : 'out-dir'
    const what =
      scope === 'all'
        ? "every test clock in the account, other tools' included"
        : "every stripe-seed clock in the account, other out-dirs' and teammates' runs included"
    const confirming = scope !== 'out-dir' && !flags.yes && !flags['dry-run']
    if (confirming && !process.stdin.isTTY)
      throw new UsageError(`--${scope} deletes ${what}; without a terminal to confirm, add --yes`)
    const outDir = this.outDir(flags)
    // The out-dir's own runs: none of them may be running while their clocks go.
    const lock = scope === 'out-dir' && !flags['dry-run'] ? await lockOutDir(outDir, 'clocks cleanup') : undefined
    try {
      const {gateway} = this.connect(flags, config.scheduler)
      const runs = await earlierRuns(outDir)
      for (const warning of runs.warnings) this.notice(warning)
      const clocks = await listClocks(gateway)
      const selected =
        scope === 'all' ? clocks : scope === 'all-runs' ? clocks.filter(isSeedClock) : selectRunClocks(clocks, runs)
      const others = clocks.length - selected.length
      const leftAlone = others > 0 ? ` (${plural(others, 'other clock')} left alone)` : ''
      for (const clock of selected) this.say(`  ${clock.id}  ${clock.status.padEnd(16)}  ${clock.name ?? '(no name)'}`)
      if (flags['dry-run'] || selected.length === 0) {
        this.say(
          `${plural(selected.length, 'clock')} ${flags['dry-run'] ? 'would be deleted' : 'to delete'}${leftAlone}`,
        )
        return {selected, deleted: [], failed: [], dryRun: flags['dry-run'], scope}
      }
      const foreign = selected.filter((clock) => !isSeedClock(clock)).length
      const question = `Delete ${plural(selected.length, 'test clock')} in this account, with their customers and subscriptions${scope === 'all' ? `, ${foreign} of them not made by stripe-seed` : ", other out-dirs' and teammates' runs included"}? [y/N] `
      if (confirming && !(await this.confirm(question))) {
        // Declining is a choice, not an error: a plain line and exit 1, so scripts can tell.
        this.notice('Nothing deleted.')
        process.exitCode = 1
        return {selected, deleted: [], failed: [], dryRun: false, scope, declined: true}
      }
      let done = 0
      // A live count on a terminal; otherwise (a pipe, CI, --json) one plain progress line on stderr.
      const live = process.stderr.isTTY && !this.jsonEnabled()
      if (!live) this.notice(`deleting ${plural(selected.length, 'clock')}…`)
      const result = await deleteClocks(gateway, new ClockWatcher(gateway), selected, {
        advanceTimeoutMs: config.advanceTimeoutSeconds * 1000,
        onDeleted: () => {
          done++
          if (live) process.stderr.write(`\rdeleting… ${done}/${selected.length}`)
        },
      })
      if (live) process.stderr.write('\n')
      const failedIds = new Set(result.failed.map((failure) => failure.id))
      await forgetCleanedRuns(runs, [
        ...selected.filter((clock) => failedIds.has(clock.id)),
        ...clocks.filter((clock) => !selected.includes(clock)),
      ])
      this.say(`Deleted ${result.deleted.length} of ${plural(selected.length, 'clock')}${leftAlone}`)
      for (const failure of result.failed) this.say(`  could not delete ${failure.id}: ${failure.reason}`)
      if (result.failed.length > 0) process.exitCode = 1
      return {selected, ...result, dryRun: false, scope}
    } finally {
      await lock?.release()
    }
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
