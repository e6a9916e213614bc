import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {ledgerFile} from '../../src/files/ledger.js'
import {errorLine, runCli} from '../helpers/cli.js'
import {sampleLedger} from '../helpers/sample-ledger.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

/** A directory with the sample ledger in config/, and the right numbers per customer, in major units. */
async function workspace() {
  const cwd = await tempDir()
  const ledger = sampleLedger()
  await mkdir(join(cwd, 'config'))
  await writeFile(ledgerFile(join(cwd, 'config')), JSON.stringify(ledger))
  const totals = new Map<string, number>()
  for (const item of ledger.items) {
    const k = `${item.month},${item.customer_id},${item.currency}`
    totals.set(k, (totals.get(k) ?? 0) + item.mrr)
  }
  const rows = [...totals].filter(([, mrr]) => mrr > 0)
  return {cwd, ledger, rows}
}

const csv = (rows: Array<[string, number]>, header = 'period,account,currency,amount') =>
  [header, ...rows.map(([k, mrr]) => `${k},${(mrr / 100).toFixed(2)}`)].join('\n')
const COLUMNS = ['--columns', 'month=period,customer_id=account,mrr=amount']

describe('stripe-seed snapshots compare (the built CLI)', () => {
  it('exits 0 on the right numbers, 1 on wrong ones with every difference under --json, 2 on a bad row', async () => {
    const {cwd, rows} = await workspace()
    await writeFile(join(cwd, 'right.csv'), csv(rows))
    const ok = await runCli(['snapshots', 'compare', 'right.csv', ...COLUMNS], {cwd})
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('✔ Your numbers match the truth.')
    const january = rows.filter(([k]) => k.startsWith('2026-01') && k.endsWith(',usd')).reduce((s, [, m]) => s + m, 0)
    const dollars = `$${(january / 100).toFixed(2)}`
    expect(ok.stdout).toMatch(new RegExp(`2026-01\\s+USD\\s+\\${dollars}\\s+\\${dollars}\\s+·`))

    // cus_echo's January trial counted: 3 × $10.
    const wrong = [...rows, ['2026-01,cus_echo,usd', 3000] as [string, number]]
    await writeFile(join(cwd, 'wrong.csv'), csv(wrong))
    const human = await runCli(['snapshots', 'compare', 'wrong.csv', ...COLUMNS], {cwd})
    expect(human.code).toBe(1)
    expect(human.stdout).toMatch(/2026-01\s+cus_echo\s+\$30\.00\s+\$0\.00\s+counted a trialing subscription/)
    const json = await runCli(['snapshots', 'compare', 'wrong.csv', ...COLUMNS, '--json'], {cwd})
    expect(json.code).toBe(1)
    const result = JSON.parse(json.stdout) as {matches: boolean; differences: Array<Record<string, unknown>>}
    expect(result.matches).toBe(false)
    expect(result.differences).toEqual([
      expect.objectContaining({
        month: '2026-01',
        key: 'cus_echo',
        side: 'yours',
        yours: 3000,
        truth: 0,
        causes: ['trial_counted'],
      }),
    ])
    // Within tolerance it matches again.
    const tolerant = await runCli(['snapshots', 'compare', 'wrong.csv', ...COLUMNS, '--tolerance', '3000'], {cwd})
    expect(tolerant.code).toBe(0)

    await writeFile(join(cwd, 'bad.csv'), csv(rows).replace('2026-02,cus_alpha', '2026-13,cus_alpha'))
    const bad = await runCli(['snapshots', 'compare', 'bad.csv', ...COLUMNS], {cwd})
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    expect(errorLine(bad.stderr)).toMatch(/bad\.csv: row \d+: "2026-13" is not a valid month$/)
    const badJson = await runCli(['snapshots', 'compare', 'bad.csv', ...COLUMNS, '--json'], {cwd})
    expect(badJson.code).toBe(2)
    expect((JSON.parse(badJson.stdout) as {error: {message: string; name: string}}).error.message).toMatch(
      /is not a valid month/,
    )
  })

  it('snapshots report --compare adds the comparison to the page, each difference with its cause', async () => {
    const {cwd, rows} = await workspace()
    await writeFile(join(cwd, 'wrong.csv'), csv([...rows, ['2026-01,cus_echo,usd', 3000]]))
    const report = await runCli(['snapshots', 'report', '--compare', 'wrong.csv', ...COLUMNS, '--json'], {cwd})
    expect(report.code).toBe(0)
    const result = JSON.parse(report.stdout) as {file: string; comparison: {matches: boolean}}
    expect(result.comparison.matches).toBe(false)
    const html = await readFile(result.file, 'utf8')
    expect(html).toContain('Your numbers against the truth')
    expect(html).toMatch(
      /<td>2026-01<\/td><td class="text">cus_echo<\/td><td>\$30\.00<\/td><td>\$0\.00<\/td>.*counted a trialing subscription/,
    )
    const plain = await runCli(['snapshots', 'report'], {cwd})
    expect(await readFile(result.file, 'utf8')).not.toContain('Your numbers against the truth')
    expect(plain.code).toBe(0)
  })

  it('reads JSON with the default column names, and names a missing ledger', async () => {
    const {cwd, rows} = await workspace()
    const json = rows.map(([k, mrr]) => {
      const [month, customer_id, currency] = k.split(',')
      return {month, customer_id, currency, mrr}
    })
    await writeFile(join(cwd, 'mine.json'), JSON.stringify(json))
    const ok = await runCli(['snapshots', 'compare', 'mine.json', '--unit', 'cents'], {cwd})
    expect(ok.code).toBe(0)
    const missing = await runCli(['snapshots', 'compare', 'mine.json', '--out-dir', 'nowhere'], {cwd})
    expect(missing.code).toBe(1)
    expect(errorLine(missing.stderr)).toMatch(/mrr_ledger\.json not found/)
  })
})
