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
    expect((JSON.parse(json.stdout) as {error: {message: string; name: string}}).error.message).toBe(
      `No reading for 2026-05; ${ledger} has 2026-01 to 2026-04`,
    )
    // A month it read works.
    const ok = await runCli(['snapshots', 'show', '--month', '2026-02'], {cwd})
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('sub_alpha')
  })
})

const COMMANDS: string[][] = [
  ['snapshots', 'show'],
  ['snapshots', 'export'],
  ['snapshots', 'report'],
  ['snapshots', 'compare', 'mine.csv'],
]
const REWRITE = 'write it again with `stripe-seed run generate --resume` (an interrupted run) or a new `run generate`'

describe('a damaged input file is one line naming it, its problem and what writes it again, exit 1', () => {
  it('an empty mrr_ledger.json, for each view that reads it (also under --json)', async () => {
    const {cwd, ledger} = await workspace()
    await writeFile(join(cwd, 'mine.csv'), 'month,mrr\n2026-01,10\n')
    await writeFile(ledger, '')
    for (const command of COMMANDS) {
      const human = await runCli(command, {cwd})
      expect(human.code, command.join(' ')).toBe(1)
      expectOneError(human.stderr)
      expect(errorLine(human.stderr)).toBe(`Error: ${ledger} is empty: ${REWRITE}`)
      const json = await runCli([...command, '--json'], {cwd})
      expect(json.code, command.join(' ')).toBe(1)
      expect(JSON.parse(json.stdout)).toEqual({
        error: {name: 'UserError', message: `${ledger} is empty: ${REWRITE}`, exitCode: 1},
      })
    }
  })

  it.each([
    ['cut short', (text: string) => text.slice(0, Math.floor(text.length / 2)), /is cut short \(.+\): /],
    ['not JSON', () => 'mrr_ledger.json, as a heading\n', /is not valid JSON \(.+\): /],
    [
      'another shape',
      (text: string) => text.replace('"mrr":', '"mrr": "lots", "was":'),
      /is malformed: items row 0, field mrr: expected number, received string; /,
    ],
    ['null', () => 'null', /is malformed: expected object, received null; /],
  ])('mrr_ledger.json %s: show and report name the file and the problem', async (_, damage, problem) => {
    const {cwd, ledger} = await workspace()
    const {readFile} = await import('node:fs/promises')
    await writeFile(ledger, damage(await readFile(ledger, 'utf8')))
    for (const command of [COMMANDS[0]!, COMMANDS[2]!]) {
      const result = await runCli(command, {cwd})
      expect(result.code, command.join(' ')).toBe(1)
      expectOneError(result.stderr)
      const line = errorLine(result.stderr)
      expect(line.startsWith(`Error: ${ledger} `), line).toBe(true)
      expect(line).toMatch(problem)
      expect(line.endsWith(REWRITE), line).toBe(true)
    }
  })

  it('an empty sub_snapshots.json (a run without a ledger) and a torn stripe_prices.json, with the out-dir in the command', async () => {
    const cwd = await tempDir()
    await mkdir(join(cwd, 'out'))
    const snapshots = join(cwd, 'out', 'sub_snapshots.json')
    await writeFile(snapshots, '   \n')
    const show = await runCli(['snapshots', 'show', '--out-dir', 'out'], {cwd})
    expect(show.code).toBe(1)
    expectOneError(show.stderr)
    expect(errorLine(show.stderr)).toBe(
      `Error: ${snapshots} is empty: write it again with \`stripe-seed run generate --out-dir out --resume\` (an interrupted run) or a new \`run generate\``,
    )
    await writeFile(snapshots, '[]')
    const prices = join(cwd, 'out', 'stripe_prices.json')
    await writeFile(prices, '{"price_ids": {')
    const report = await runCli(['snapshots', 'export', '--out-dir', 'out'], {cwd})
    expect(report.code).toBe(1)
    expectOneError(report.stderr)
    expect(errorLine(report.stderr)).toMatch(
      new RegExp(
        `^Error: ${prices} is cut short \\(.+\\): write it again with \`stripe-seed prices seed --out-dir out\`$`,
      ),
    )
  })
})

describe('snapshots compare FILE: an empty or unreadable file of theirs says what it should hold', () => {
  it.each([
    [
      'empty.csv',
      '',
      'empty.csv: the file is empty; write a header line (month,customer_id,mrr or month,mrr), then one line per month (and customer)',
    ],
    [
      'header.csv',
      'month,customer_id,mrr\n',
      'header.csv: no rows under the header; write a header line (month,customer_id,mrr or month,mrr), then one line per month (and customer)',
    ],
    [
      'empty.json',
      '\n',
      'empty.json: the file is empty; write an array of {"month": "YYYY-MM", "customer_id": …, "mrr": …} objects (customer_id optional)',
    ],
    ['torn.json', '[{"month": "2026-01", "mrr": 1', /^torn\.json: cut short \(.+\); write an array of /],
    [
      'object.json',
      '{"month": "2026-01"}',
      /^object\.json: not an array of rows \(nor \{"rows": \[\.\.\.\]\}\); write an array of /,
    ],
  ])('%s: one line, exit 2 (their file is the invocation)', async (name, content, message) => {
    const {cwd} = await workspace()
    await writeFile(join(cwd, name), content)
    const result = await runCli(['snapshots', 'compare', name], {cwd})
    expect(result.code).toBe(2)
    expectOneError(result.stderr)
    if (typeof message === 'string') expect(errorLine(result.stderr)).toBe(`Error: ${message}`)
    else expect(errorLine(result.stderr).replace(/^Error: /, '')).toMatch(message)
    const json = await runCli(['snapshots', 'compare', name, '--json'], {cwd})
    expect(json.code).toBe(2)
    expect((JSON.parse(json.stdout) as {error: {message: string; name: string}}).error.name).toBe('UsageError')
  })
})
