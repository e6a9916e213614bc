import {spawn} from 'node:child_process'
import {access, copyFile, mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import Stripe from 'stripe'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type RunningEmulator, startEmulator} from '../../src/emulator/server.js'
import {CurrentRunFileSchema, SnapshotsFileSchema} from '../../src/files/formats.js'
import {LedgerFileSchema} from '../../src/files/ledger.js'
import {CLI, errorLine, runCli} from '../helpers/cli.js'
import {FAST} from '../helpers/emulator.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

describe('run verify, clocks cleanup and snapshots show after a real run', () => {
  let emulator: RunningEmulator
  let cwd: string
  let env: Record<string, string>
  let stripe: Stripe
  const cli = (...args: string[]) => runCli(args, {cwd, env})

  beforeAll(async () => {
    emulator = await startEmulator(FAST)
    const {mkdtemp} = await import('node:fs/promises')
    const {tmpdir} = await import('node:os')
    cwd = await mkdtemp(join(tmpdir(), 'stripe-seed-views-'))
    env = {STRIPE_API_BASE: emulator.url, STRIPE_SECRET_KEY: 'sk_test_views'}
    stripe = new Stripe('sk_test_views', {host: '127.0.0.1', port: emulator.port, protocol: 'http', telemetry: false})
    const run = await cli(
      'run',
      'generate',
      '--seed-prices',
      '--customers',
      '30',
      '--seed',
      '21',
      '--max-rps',
      '500',
      '--rate',
      '200',
    )
    expect(run.code, run.stderr).toBe(0)
    // The run's files without mrr_ledger.json: what show and verify read for runs made before the ledger existed.
    await mkdir(join(cwd, 'plain'))
    for (const file of ['current_run.json', 'sub_snapshots.json', 'stripe_prices.json'])
      await copyFile(join(cwd, 'config', file), join(cwd, 'plain', file))
  })
  afterAll(async () => {
    await emulator.close()
    const {rm} = await import('node:fs/promises')
    await rm(cwd, {recursive: true, force: true})
  })

  it('snapshots show without a ledger: MRR table, chart and movements; --month; --format csv; --json', async () => {
    const rows = SnapshotsFileSchema.parse(
      JSON.parse(await readFile(join(cwd, 'config', 'sub_snapshots.json'), 'utf8')),
    )
    const months = [...new Set(rows.map((r) => r.month))]
    const lastMrr = rows.filter((r) => r.month === months.at(-1)).reduce((sum, r) => sum + r.mrr_cents, 0)

    const table = await cli('snapshots', 'show', '--out-dir', 'plain')
    expect(table.code).toBe(0)
    expect(table.stdout).toContain('MRR movements')
    expect(table.stdout).toMatch(new RegExp(`${months.at(-1)}\\s+\\$[\\d,.]+\\s+█`))

    const json = JSON.parse((await cli('snapshots', 'show', '--out-dir', 'plain', '--json')).stdout) as {
      months: Array<{month: string; mrrCents: number; movements: {net: number}}>
    }
    expect(json.months.map((m) => m.month)).toEqual(months)
    expect(json.months.at(-1)?.mrrCents).toBe(lastMrr)
    for (let i = 1; i < json.months.length; i++)
      expect(json.months[i]!.movements.net).toBe(json.months[i]!.mrrCents - json.months[i - 1]!.mrrCents)

    const csv = (await cli('snapshots', 'show', '--out-dir', 'plain', '--format', 'csv')).stdout.trim().split('\n')
    expect(csv[0]).toMatch(/^month,customers,active,past_due,mrr_cents,/)
    expect(csv).toHaveLength(months.length + 1)

    const month = await cli('snapshots', 'show', '--out-dir', 'plain', '--month', months[2]!, '--format', 'csv')
    expect(month.stdout.trim().split('\n')).toHaveLength(rows.filter((r) => r.month === months[2]).length + 1)
    const none = await cli('snapshots', 'show', '--out-dir', 'plain', '--month', '1999-01')
    expect(none.code).toBe(2)
    expect(errorLine(none.stderr)).toContain(
      `No snapshot for 1999-01; ${join(cwd, 'plain', 'sub_snapshots.json')} has ${months[0]} to ${months.at(-1)}`,
    )
  })

  it('snapshots show names the row and field of a malformed file, and says what to run when it is missing', async () => {
    const other = await tempDir()
    const missing = await runCli(['snapshots', 'show'], {cwd: other})
    expect(missing.code).toBe(1)
    expect(errorLine(missing.stderr)).toMatch(/sub_snapshots\.json not found: run `stripe-seed run generate` first/)
    const rows = JSON.parse(await readFile(join(cwd, 'config', 'sub_snapshots.json'), 'utf8')) as Array<
      Record<string, unknown>
    >
    rows[4]!.screens = 'three'
    await writeFile(join(other, 'bad.json'), JSON.stringify(rows))
    const {rename} = await import('node:fs/promises')
    await mkdir(join(other, 'config'))
    await rename(join(other, 'bad.json'), join(other, 'config', 'sub_snapshots.json'))
    const bad = await runCli(['snapshots', 'show'], {cwd: other})
    expect(bad.code).toBe(1)
    expect(errorLine(bad.stderr)).toMatch(/sub_snapshots\.json is malformed: row 4, field screens: .*expected number/)
  })

  it("with the run's mrr_ledger.json, run verify checks the ledger and snapshots show presents it", async (context) => {
    const path = join(cwd, 'config', 'mrr_ledger.json')
    // run generate writes the ledger once its execution reads months for it; until then this path is covered in process.
    if (
      !(await access(path).then(
        () => true,
        () => false,
      ))
    )
      return context.skip()
    const ledger = LedgerFileSchema.parse(JSON.parse(await readFile(path, 'utf8')))
    const latest = ledger.months.at(-1)!
    const verify = await cli('run', 'verify', '--json')
    expect(verify.code, verify.stdout).toBe(0)
    expect(JSON.parse(verify.stdout)).toMatchObject({
      ok: true,
      mismatches: [],
      ledger: {month: latest, checked: ledger.items.filter((item) => item.month === latest).length, mismatches: []},
    })

    const show = JSON.parse((await cli('snapshots', 'show', '--json')).stdout) as {
      source: string
      months: Array<{month: string; reporting: {mrr: number} | null}>
    }
    expect(show.source).toBe('mrr_ledger.json')
    const rows = SnapshotsFileSchema.parse(
      JSON.parse(await readFile(join(cwd, 'config', 'sub_snapshots.json'), 'utf8')),
    )
    // A month's sum of mrr_cents is that month's MRR in the reporting currency.
    expect(show.months.at(-1)?.reporting?.mrr).toBe(
      rows.filter((row) => row.month === latest).reduce((sum, row) => sum + row.mrr_cents, 0),
    )
  })

  it("run verify without a ledger passes, then fails naming a subscription changed behind the tool's back", async () => {
    const ok = await cli('run', 'verify', '--out-dir', 'plain', '--json')
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ok: true, mismatches: []})

    const current = CurrentRunFileSchema.parse(
      JSON.parse(await readFile(join(cwd, 'plain', 'current_run.json'), 'utf8')),
    )
    const rows = SnapshotsFileSchema.parse(JSON.parse(await readFile(join(cwd, 'plain', 'sub_snapshots.json'), 'utf8')))
    const target = rows.filter((r) => r.month === rows.at(-1)!.month && r.plan !== 'free')[0]!
    const sub = await stripe.subscriptions.retrieve(target.subscription_id)
    await stripe.subscriptions.update(sub.id, {
      items: [{id: sub.items.data[0]!.id, quantity: target.screens + 1}],
      proration_behavior: 'none',
    })
    const gone = rows.filter((r) => r.month === target.month && r.subscription_id !== target.subscription_id)[0]!
    await stripe.subscriptions.cancel(gone.subscription_id)

    const bad = await cli('run', 'verify', '--out-dir', 'plain')
    expect(bad.code).toBe(1)
    expect(bad.stdout).toContain(target.subscription_id)
    expect(bad.stdout).toContain(
      `quantity is ${target.screens + 1} in Stripe, ${target.screens} screens in the snapshot`,
    )
    expect(bad.stdout).toContain(`status is canceled in Stripe, ${gone.status} in the snapshot`)
    expect(bad.stdout).toMatch(/3 mismatches in \d+ subscriptions of run/)
    expect(current.clock_ids.length).toBeGreaterThan(0)
  })

  it("clocks cleanup removes this tool's clocks and their customers, and leaves a clock another tool made", async () => {
    const foreign = await stripe.testHelpers.testClocks.create({
      frozen_time: Date.UTC(2026, 0, 1) / 1000,
      name: 'billing-team-fixture',
    })
    const dry = await cli('clocks', 'cleanup', '--dry-run')
    expect(dry.stdout).toMatch(/10 clocks would be deleted \(1 other clock left alone\)/)
    expect(emulator.engine.clocks.size).toBe(11)
    const run = await cli('clocks', 'cleanup')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Deleted 10 of 10 clocks (1 other clock left alone)')
    expect([...emulator.engine.clocks.keys()]).toEqual([foreign.id])
    expect(emulator.engine.customers.size).toBe(0)
    expect(emulator.engine.subscriptions.size).toBe(0)
  })
})

describe('stripe-seed emulator', () => {
  it('prints its URL, serves any SDK until SIGINT, then exits 0', async () => {
    const cwd = await tempDir()
    const child = spawn(process.execPath, [CLI, 'emulator', '--port', '0'], {
      cwd,
      env: {PATH: process.env.PATH ?? '', HOME: cwd},
    })
    let stdout = ''
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)
        if (match) resolve(match[1]!)
      })
      child.on('exit', () => reject(new Error(`exited early: ${stdout}`)))
    })
    const seeded = await runCli(['prices', 'seed', '--api-base', url, '--api-key', 'sk_test_anything'], {cwd})
    expect(seeded.code).toBe(0)
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    child.kill('SIGINT')
    expect(await exit).toBe(0)
    expect(stdout).toMatch(/Stopped after \d+ requests/)
  })
})
