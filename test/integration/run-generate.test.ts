import {readFile, writeFile} from 'node:fs/promises'
import {basename, join} from 'node:path'
import Stripe from 'stripe'
import {afterEach, describe, expect, it} from 'vitest'

import {type RunningEmulator, startEmulator, type EmulatorOptions} from '../../src/emulator/server.js'
import {CurrentRunFileSchema, type SnapshotRow, SnapshotsFileSchema} from '../../src/files/formats.js'
import type {Scenario} from '../../src/scenario/plan.js'
import {errorLine, runCli} from '../helpers/cli.js'
import {FAST} from '../helpers/emulator.js'
import {stubServer} from '../helpers/stub-server.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
const running: RunningEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()))
})

/** The emulator at test speed, and the scheduler opened up: these tests check behaviour, not pace. */
const FAST_FLAGS = ['--max-rps', '500', '--rate', '200', '--concurrency', '20']

async function workspace(options: EmulatorOptions = {}) {
  const emulator = await startEmulator({...FAST, ...options})
  running.push(emulator)
  const cwd = await tempDir()
  const env = {STRIPE_API_BASE: emulator.url, STRIPE_SECRET_KEY: 'sk_test_e2e_run'}
  const cli = (...args: string[]) => runCli(args, {cwd, env})
  const stripe = new Stripe('sk_test_e2e_run', {
    host: '127.0.0.1',
    port: emulator.port,
    protocol: 'http',
    telemetry: false,
  })
  const read = async <T>(name: string): Promise<T> => JSON.parse(await readFile(join(cwd, 'config', name), 'utf8')) as T
  return {emulator, cwd, env, cli, stripe, read}
}

async function generate(ws: Awaited<ReturnType<typeof workspace>>, ...args: string[]) {
  const result = await ws.cli('run', 'generate', '--seed-prices', ...FAST_FLAGS, ...args)
  return result
}

const stripeIndex = (sub: Stripe.Subscription) => Number((sub.metadata as Record<string, string>).stripe_seed_customer)

describe('stripe-seed run generate against the emulator (built CLI, real process)', () => {
  it('--customers 100 --seed 7: Stripe ends exactly as planned, and every month of the snapshots matches the plan', async () => {
    const ws = await workspace()
    const dry = await ws.cli('run', 'generate', '--dry-run', '--customers', '100', '--seed', '7', '--json')
    expect(dry.code).toBe(0)
    const {plan} = JSON.parse(dry.stdout) as {plan: Scenario}

    const run = await generate(ws, '--customers', '100', '--seed', '7')
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/complete in/)
    expect(run.stderr).toMatch(/^run \d{8}-\d{6}-7 · repeat with --seed 7$/m)
    // 34 clocks wait on one stop signal: no Node warning about listeners (or anything else) reaches the user.
    expect(run.stderr).not.toMatch(/Warning|\(node:\d+\)/)

    const current = CurrentRunFileSchema.parse(await ws.read('current_run.json'))
    expect(current).toMatchObject({status: 'complete', seed: 7, months: 6, failed_clocks: []})
    expect(current.customer_ids).toHaveLength(100)
    expect(current.clock_ids).toHaveLength(34)

    // Stripe's state: 34 clocks, at most 3 customers each, 100 customers.
    const clocks = [...ws.emulator.engine.clocks.values()]
    expect(clocks).toHaveLength(34)
    const perClock = clocks.map(
      (clock) => [...ws.emulator.engine.customers.values()].filter((c) => c.testClock === clock.id).length,
    )
    expect(Math.max(...perClock)).toBe(3)
    expect(perClock.reduce((a, b) => a + b, 0)).toBe(100)

    // The end state through the SDK, per clock because of the listing trap (SB-16).
    const subs: Stripe.Subscription[] = []
    for (const clockId of current.clock_ids)
      subs.push(...(await ws.stripe.subscriptions.list({test_clock: clockId, status: 'all', limit: 100})).data)
    expect(subs).toHaveLength(100)
    const canceled = subs.filter((s) => s.status === 'canceled')
    const pastDue = subs.filter((s) => s.status === 'past_due')
    const plannedCancel = plan.events.filter((e) => e.kind === 'cancel').map((e) => e.customer)
    const plannedPastDue = plan.events.filter((e) => e.kind === 'past_due')
    expect(canceled.map(stripeIndex).sort((a, b) => a - b)).toEqual(
      [...plannedCancel, ...plannedPastDue.filter((e) => e.month < 6).map((e) => e.customer)].sort((a, b) => a - b),
    )
    expect(
      canceled
        .filter((s) => s.cancellation_details?.reason === 'payment_failed')
        .map(stripeIndex)
        .sort((a, b) => a - b),
    ).toEqual(
      plannedPastDue
        .filter((e) => e.month < 6)
        .map((e) => e.customer)
        .sort((a, b) => a - b),
    )
    expect(pastDue.map(stripeIndex)).toEqual(plannedPastDue.filter((e) => e.month === 6).map((e) => e.customer))
    const prices = await ws.read<{price_ids: Record<string, string>}>('stripe_prices.json')
    const planOfPrice = new Map(Object.entries(prices.price_ids).map(([key, id]) => [id, key]))
    for (const sub of subs.filter((s) => s.status !== 'canceled')) {
      const expected = plan.expected[6]!.subscriptions.find((s) => s.customer === stripeIndex(sub))!
      expect({
        plan: planOfPrice.get(sub.items.data[0]!.price.id),
        screens: sub.items.data[0]!.quantity,
        items: sub.items.data.length,
      }).toEqual({plan: expected.plan, screens: expected.screens, items: 1})
    }

    // The snapshots: 7 months, exactly nine fields, mrr = amount × screens, no canceled rows, and each month as planned.
    const rows = SnapshotsFileSchema.parse(await ws.read('sub_snapshots.json'))
    const months = [...new Set(rows.map((r) => r.month))]
    expect(months).toEqual(plan.expected.map((m) => m.label))
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual([
        'customer_id',
        'month',
        'mrr_cents',
        'plan',
        'price_amount',
        'price_id',
        'screens',
        'status',
        'subscription_id',
      ])
      expect(row.mrr_cents).toBe(row.price_amount * row.screens)
    }
    const indexOfCustomer = new Map(current.customer_ids.map((id, index) => [id, index]))
    for (const month of plan.expected) {
      const actual = rows
        .filter((r) => r.month === month.label)
        .map((r) => ({
          customer: indexOfCustomer.get(r.customer_id),
          plan: r.plan,
          screens: r.screens,
          status: r.status,
          mrrCents: r.mrr_cents,
        }))
      expect(actual).toEqual(month.subscriptions)
    }
    const canceledIds = new Set(canceled.map((s) => s.id))
    expect(rows.filter((r) => r.month === months.at(-1) && canceledIds.has(r.subscription_id))).toEqual([])

    // Rows are in plan order: month, then customer index.
    const order = rows.map((r) => `${r.month}/${String(indexOfCustomer.get(r.customer_id)).padStart(4, '0')}`)
    expect(order).toEqual([...order].sort())

    // ...and `run verify` agrees with Stripe.
    const verify = await ws.cli('run', 'verify')
    expect(verify.code, verify.stdout).toBe(0)
    // The run wrote mrr_ledger.json: verify checks its latest month against Stripe, then the rows it derives.
    const last = plan.expected[6]!
    expect(verify.stdout).toMatch(
      new RegExp(`the ledger's ${last.label} matches Stripe: \\d+ subscription items of run`),
    )
    expect(verify.stdout).toContain(
      `sub_snapshots.json's ${last.label} (${last.subscriptions.length} rows) is what the ledger derives`,
    )
  })

  it('the same seed twice gives the same rows apart from ids and dates; progress goes to stderr, the result to stdout with --json', async () => {
    const strip = (rows: SnapshotRow[]) =>
      rows.map(({plan, price_amount, screens, mrr_cents, status}) => ({plan, price_amount, screens, mrr_cents, status}))
    const first = await workspace()
    const a = await generate(first, '--customers', '40', '--seed', '11', '--json')
    expect(a.code, a.stderr).toBe(0)
    const result = JSON.parse(a.stdout) as {
      status: string
      customers: number
      seed: number
      mrrByMonth: unknown[]
      files: string[]
    }
    expect(result).toMatchObject({status: 'complete', customers: 40, seed: 11})
    // --seed-prices wrote stripe_prices.json first: every file the run wrote is named.
    expect(result.files.map((file) => basename(file))).toEqual([
      'stripe_prices.json',
      'current_run.json',
      'run_details.json',
      'mrr_ledger.json',
      'sub_snapshots.json',
    ])
    expect(result.mrrByMonth).toHaveLength(7)
    const second = await workspace({seed: 99})
    const b = await generate(second, '--customers', '40', '--seed', '11')
    expect(b.code).toBe(0)
    expect(strip(SnapshotsFileSchema.parse(await second.read('sub_snapshots.json')))).toEqual(
      strip(SnapshotsFileSchema.parse(await first.read('sub_snapshots.json'))),
    )
  })

  it.each([1, 2, 4, 301])('works for %i customers', async (customers) => {
    const ws = await workspace()
    const run = await generate(ws, '--customers', String(customers), '--seed', '5', '--months', '3')
    expect(run.code, run.stderr).toBe(0)
    const current = CurrentRunFileSchema.parse(await ws.read('current_run.json'))
    expect(current.customer_ids).toHaveLength(customers)
    expect(current.clock_ids).toHaveLength(Math.ceil(customers / 3))
    const rows = SnapshotsFileSchema.parse(await ws.read('sub_snapshots.json'))
    expect(rows.filter((r) => r.month === rows[0]!.month)).toHaveLength(customers)
    expect(new Set(rows.map((r) => r.month)).size).toBe(4)
    // The progress log counts clocks in words that agree with the number.
    expect(run.stderr).toMatch(
      customers <= 3 ? /month 3 complete · 1\/1 clock · / : /month 3 complete · (\d+)\/\1 clocks · /,
    )
  })

  it("a second run deletes the first run's clocks and leaves clocks made by others alone", async () => {
    const ws = await workspace()
    const foreign = await ws.stripe.testHelpers.testClocks.create({
      frozen_time: Date.UTC(2026, 0, 1) / 1000,
      name: 'someone-elses-clock',
    })
    expect((await generate(ws, '--customers', '6', '--seed', '1', '--months', '1')).code).toBe(0)
    const firstRun = CurrentRunFileSchema.parse(await ws.read('current_run.json'))
    expect((await generate(ws, '--customers', '6', '--seed', '2', '--months', '1')).code).toBe(0)
    const ids = [...ws.emulator.engine.clocks.keys()]
    expect(ids).toContain(foreign.id)
    for (const old of firstRun.clock_ids) expect(ids).not.toContain(old)
    expect(ids).toHaveLength(3)

    const kept = await generate(ws, '--customers', '3', '--seed', '3', '--months', '1', '--keep-clocks')
    expect(kept.code).toBe(0)
    expect(ws.emulator.engine.clocks.size).toBe(4)
  })

  it('without stripe_prices.json it says to run prices seed; a corrupt one is named; nothing is created in Stripe', async () => {
    const ws = await workspace()
    const missing = await ws.cli('run', 'generate', '--customers', '3', ...FAST_FLAGS)
    expect(missing.code).toBe(1)
    expect(errorLine(missing.stderr)).toMatch(
      /stripe_prices\.json not found: run `stripe-seed prices seed` first, or pass --seed-prices/,
    )
    await ws.cli('prices', 'seed')
    await writeFile(join(ws.cwd, 'config', 'stripe_prices.json'), '{"price_ids": {"free": ')
    const corrupt = await ws.cli('run', 'generate', '--customers', '3', ...FAST_FLAGS)
    expect(corrupt.code).toBe(1)
    expect(errorLine(corrupt.stderr)).toMatch(/stripe_prices\.json is cut short \(/)
    await writeFile(
      join(ws.cwd, 'config', 'stripe_prices.json'),
      JSON.stringify({price_ids: {free: 'price_1'}, price_to_plan: {}, seeded_at: 'x'}),
    )
    const wrong = await ws.cli('run', 'generate', '--customers', '3', ...FAST_FLAGS)
    expect(wrong.code).toBe(1)
    expect(errorLine(wrong.stderr)).toMatch(/stripe_prices\.json is malformed: plans: .*expected array/)
    expect(ws.emulator.engine.customers.size).toBe(0)
    expect(ws.emulator.engine.clocks.size).toBe(0)
  })

  it('a clock forced into internal_failure is reported with its customers; the others finish; exit code 3 (partial)', async () => {
    const ws = await workspace({failClocksNamed: /:3$/})
    const run = await generate(ws, '--customers', '12', '--seed', '4', '--months', '2')
    expect(run.code, run.stderr).toBe(3)
    expect(run.stdout).toContain('PARTIAL')
    const current = CurrentRunFileSchema.parse(await ws.read('current_run.json'))
    expect(current.status).toBe('partial')
    expect(current.failed_clocks).toHaveLength(1)
    expect(current.failed_clocks[0]).toMatchObject({
      reason: expect.stringContaining('internal_failure'),
      customer_ids: expect.any(Array),
    })
    expect(current.failed_clocks[0]!.customer_ids).toHaveLength(3)
    expect(current.clock_ids).toHaveLength(3)
    expect(current.customer_ids).toHaveLength(9)
    const rows = SnapshotsFileSchema.parse(await ws.read('sub_snapshots.json'))
    // A broken clock's customers are left out of every month, not half-recorded.
    for (const id of current.failed_clocks[0]!.customer_ids) expect(rows.some((r) => r.customer_id === id)).toBe(false)
    expect(new Set(rows.map((r) => r.month)).size).toBe(3)
  })

  it('--dry-run needs no key and opens no connection', async () => {
    const stub = await stubServer(500, {})
    try {
      const cwd = await tempDir()
      const run = await runCli(['run', 'generate', '--dry-run', '--customers', '250', '--seed', '3'], {
        cwd,
        env: {STRIPE_API_BASE: stub.url},
      })
      expect(run.code).toBe(0)
      expect(run.stdout).toContain('Plan for 250 customers over 6 months (seed 3')
      expect(run.stdout).toMatch(/Test clocks: 84 \(3 customers each, the last 1\)/)
      expect(run.stdout).toMatch(/API requests: about \d+/)
      expect(stub.requests).toHaveLength(0)
    } finally {
      await stub.close()
    }
  })

  it('bad input is refused before anything runs', async () => {
    const cwd = await tempDir()
    for (const args of [
      ['--customers', '0'],
      ['--customers', '10001'],
      ['--customers', 'many'],
      ['--months', '25'],
      ['--months', '0'],
      ['--max-rps', 'fast'],
    ]) {
      const run = await runCli(['run', 'generate', '--dry-run', ...args], {cwd})
      expect(run.code, args.join(' ')).toBe(2)
    }
    await writeFile(
      join(cwd, '.stripe-seedrc.json'),
      JSON.stringify({
        plans: [{key: 'only', name: 'Only', unitAmount: 100, screens: {min: 1, max: 2}, customers: 3}],
        events: {upgrades: 0, downgrades: 0, cancellations: 0, pastDue: 4},
      }),
    )
    const config = await runCli(['run', 'generate', '--dry-run'], {cwd})
    expect(config.code).toBe(2)
    expect(errorLine(config.stderr)).toMatch(/events: 4 events cannot fit on 3 reference customers/)
  })
})
