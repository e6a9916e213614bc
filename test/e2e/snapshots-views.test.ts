import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {ledgerFile} from '../../src/files/ledger.js'
import {errorLine, runCli} from '../helpers/cli.js'
import {sampleLedger} from '../helpers/sample-ledger.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

/** A directory with the sample ledger (2026-01 to 2026-04) in config/, as a run leaves it. */
async function workspace() {
  const cwd = await tempDir()
  await mkdir(join(cwd, 'config'))
  await writeFile(ledgerFile(join(cwd, 'config')), JSON.stringify(sampleLedger()))
  return {cwd, ledger: ledgerFile(join(cwd, 'config'))}
}

/** stderr holds one error and nothing else: oclif's "›" lines (it wraps at 80 columns), no stack. */
function expectOneError(stderr: string) {
  const lines = stderr.trim().split('\n')
  expect(
    lines.every((line) => line.trimStart().startsWith('›')),
    stderr,
  ).toBe(true)
  expect(stderr).not.toMatch(/\n\s+at /)
}

describe('snapshots show --month (the built CLI)', () => {
  it.each(['2026-13', 'abc', '2026-1', '2026-00'])(
    '%s is not a valid month: a usage error, exit 2, one line; the same under --json',
    async (month) => {
      const {cwd} = await workspace()
      const human = await runCli(['snapshots', 'show', '--month', month], {cwd})
      expect(human.code).toBe(2)
      expect(human.stdout).toBe('')
      expectOneError(human.stderr)
      expect(errorLine(human.stderr)).toBe(`Error: --month "${month}" is not a valid month: give YYYY-MM, e.g. 2026-09`)
      const json = await runCli(['snapshots', 'show', '--month', month, '--json'], {cwd})
      expect(json.code).toBe(2)
      expect(JSON.parse(json.stdout)).toEqual({
        error: {
          name: 'UsageError',
          message: `--month "${month}" is not a valid month: give YYYY-MM, e.g. 2026-09`,
          exitCode: 2,
        },
      })
    },
  )

  it('a well-formed month the run did not read names the months it did, exit 2', async () => {
    const {cwd, ledger} = await workspace()
    const human = await runCli(['snapshots', 'show', '--month', '2025-01'], {cwd})
    expect(human.code).toBe(2)
    expectOneError(human.stderr)
    expect(errorLine(human.stderr)).toBe(`Error: No reading for 2025-01; ${ledger} has 2026-01 to 2026-04`)
    const json = await runCli(['snapshots', 'show', '--month', '2026-05', '--json'], {cwd})
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout).error.message).toBe(`No reading for 2026-05; ${ledger} has 2026-01 to 2026-04`)
    // A month it read works.
    const ok = await runCli(['snapshots', 'show', '--month', '2026-02'], {cwd})
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('sub_alpha')
  })
})
