import {spawnSync} from 'node:child_process'
import {chmod, mkdir, readFile, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'
import Stripe from 'stripe'
import {afterEach, describe, expect, it} from 'vitest'

import RunGenerate from '../../src/commands/run/generate.js'
import {type EmulatorOptions, type RunningEmulator, startEmulator} from '../../src/emulator/server.js'
import {listScenarios} from '../../src/config/scenarios.js'
import {CurrentRunFileSchema} from '../../src/files/formats.js'
import {FAST} from '../helpers/emulator.js'
import {runCommand} from '../helpers/in-process.js'
import {seedEmulatorPrices} from '../helpers/run-service.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
const running: RunningEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()))
})

const FAST_FLAGS = ['--max-rps', '500', '--rate', '200', '--concurrency', '20', '--months', '1']
const FILES = ['current_run.json', 'sub_snapshots.json', 'run_details.json']

/** An out-dir holding a finished earlier run against this emulator: what a bad run must leave alone. */
async function withEarlierRun(options: EmulatorOptions = {}) {
  const emulator = await startEmulator({...FAST, ...options})
  running.push(emulator)
  const outDir = join(await tempDir(), 'out')
  await seedEmulatorPrices(emulator, outDir)
  const env = {STRIPE_API_BASE: emulator.url, STRIPE_SECRET_KEY: 'sk_test_preflight', CI: '1'}
  const generate = (...args: string[]) => runCommand(RunGenerate, ['--out-dir', outDir, ...FAST_FLAGS, ...args], env)
  const first = await generate('--customers', '3', '--seed', '1')
  expect(first.exitCode, first.error?.message).toBe(0)
  const files = () => Promise.all(FILES.map((name) => readFile(join(outDir, name), 'utf8')))
  const state = {clocks: emulator.engine.clocks.size, customers: emulator.engine.customers.size, files: await files()}
  /** Nothing deleted or created in Stripe, and the earlier files byte for byte. */
  const untouched = async () => ({
    clocks: emulator.engine.clocks.size,
    customers: emulator.engine.customers.size,
    files: await files(),
  })
  return {emulator, outDir, env, generate, state, untouched}
}

describe('run generate preflight: a one-line cause before anything is deleted or created', () => {
  it('prices the account does not have as the config says: says the file does not match and what to run', async () => {
    const ws = await withEarlierRun()
    const prices = JSON.parse(await readFile(join(ws.outDir, 'stripe_prices.json'), 'utf8')) as {
      price_ids: Record<string, string>
    }
    const stripe = new Stripe('sk_test_preflight', {
      host: '127.0.0.1',
      port: ws.emulator.port,
      protocol: 'http',
      telemetry: false,
    })
    await stripe.prices.update(prices.price_ids.standard!, {active: false})
    const requestsBefore = ws.emulator.requestCount()
    const run = await ws.generate('--customers', '3', '--seed', '2')
    expect(run.exitCode).toBe(1)
    expect(run.error?.message).toMatch(
      /stripe_prices\.json does not match this Stripe account: price price_\w+ of plan "standard" is archived$/,
    )
    // The view marks the step; the cause is printed once, by oclif from the thrown error.
    expect(run.stderr).toMatch(/✖ preflight/)
    expect(run.stderr).not.toContain('does not match')
    expect(await ws.untouched()).toEqual(ws.state)
    expect(ws.emulator.requestCount() - requestsBefore).toBe(1)
  })

  it('an emulator restarted (another account): the prices are not on it; nothing is created there', async () => {
    const ws = await withEarlierRun()
    const other = await startEmulator(FAST)
    running.push(other)
    const run = await runCommand(RunGenerate, ['--out-dir', ws.outDir, ...FAST_FLAGS, '--customers', '3'], {
      ...ws.env,
      STRIPE_API_BASE: other.url,
    })
    expect(run.exitCode).toBe(1)
    expect(run.error?.message).toMatch(
      /does not match this Stripe account: price price_\w+ of plan "free" is not on this account$/,
    )
    expect(other.engine.clocks.size).toBe(0)
    expect(await ws.untouched()).toEqual(ws.state)
  })

  it('an out-dir that cannot take files is found before any request', async () => {
    const ws = await withEarlierRun()
    const requestsBefore = ws.emulator.requestCount()
    // Root writes through permissions, so a path under a regular file stands in for a read-only directory there.
    const readOnly = process.getuid?.() === 0 ? join(ws.outDir, 'stripe_prices.json', 'out') : ws.outDir
    if (readOnly === ws.outDir) await chmod(ws.outDir, 0o555)
    const run = await runCommand(RunGenerate, ['--out-dir', readOnly, ...FAST_FLAGS, '--customers', '3'], ws.env)
    await chmod(ws.outDir, 0o755)
    expect(run.exitCode).toBe(1)
    expect(run.error?.message).toMatch(/^The out-dir .* is not writable: /)
    expect(ws.emulator.requestCount()).toBe(requestsBefore)
    expect(await ws.untouched()).toEqual(ws.state)
  })

  it("a lock held by a live process refuses; a dead process's lock is taken over with a line saying so", async () => {
    const ws = await withEarlierRun()
    const lock = join(ws.outDir, '.stripe-seed', 'lock')
    await writeFile(
      lock,
      JSON.stringify({
        pid: process.pid,
        host: hostname(),
        started_at: '2026-11-25T06:00:00.000Z',
        purpose: 'run generate',
      }),
    )
    const requestsBefore = ws.emulator.requestCount()
    const held = await ws.generate('--customers', '3', '--seed', '2')
    expect(held.exitCode).toBe(1)
    expect(held.error?.message).toBe(
      `Another stripe-seed process (pid ${process.pid} on ${hostname()}, run generate since 2026-11-25T06:00:00.000Z) is using this out-dir; lock file ${lock}`,
    )
    expect(ws.emulator.requestCount()).toBe(requestsBefore)
    expect(await ws.untouched()).toEqual(ws.state)

    const dead = spawnSync(process.execPath, ['-e', '0']).pid
    await writeFile(
      lock,
      JSON.stringify({pid: dead, host: hostname(), started_at: '2026-11-25T06:00:00.000Z', purpose: 'run generate'}),
    )
    const takeover = await ws.generate('--customers', '3', '--seed', '2')
    expect(takeover.exitCode, takeover.error?.message).toBe(0)
    expect(takeover.stderr).toContain(
      `Took over the lock of a stripe-seed process that is gone (pid ${dead} on ${hostname()}`,
    )
  })

  it("a second out-dir's run survives the first out-dir's cleanup", async () => {
    const ws = await withEarlierRun()
    const second = join(await tempDir(), 'team-b')
    await mkdir(second)
    await writeFile(join(second, 'stripe_prices.json'), await readFile(join(ws.outDir, 'stripe_prices.json')))
    const theirs = await runCommand(
      RunGenerate,
      ['--out-dir', second, ...FAST_FLAGS, '--customers', '3', '--seed', '3'],
      ws.env,
    )
    expect(theirs.exitCode).toBe(0)
    const theirClocks = CurrentRunFileSchema.parse(
      JSON.parse(await readFile(join(second, 'current_run.json'), 'utf8')),
    ).clock_ids
    const ours = await ws.generate('--customers', '3', '--seed', '4')
    expect(ours.exitCode).toBe(0)
    const ids = [...ws.emulator.engine.clocks.keys()]
    for (const id of theirClocks) expect(ids).toContain(id)
    expect(ids).toHaveLength(2)
  })

  it('--resume with another seed is refused with the reason; nothing deleted, earlier files intact', async () => {
    const ws = await withEarlierRun({failClocksNamed: /:2$/})
    const partial = await ws.generate('--customers', '6', '--seed', '5')
    expect(partial.exitCode).toBe(3)
    const state = await ws.untouched()
    const runId = CurrentRunFileSchema.parse(JSON.parse(state.files[0]!)).run_id
    const refused = await ws.generate('--resume', '--seed', '6')
    expect(refused.exitCode).toBe(2)
    expect(refused.error?.message).toBe(`Cannot resume run ${runId}: it was started with seed 5, not 6`)
    expect(await ws.untouched()).toEqual(state)

    const usage = await ws.generate(runId)
    expect(usage.exitCode).toBe(2)
  })

  it('a partial run prints a resume command that reaches the same API; resuming with other customers or months in the config file is refused', async () => {
    const ws = await withEarlierRun({failClocksNamed: /:2$/})
    // The API named by a flag, not the environment: the printed command must carry it.
    const {STRIPE_API_BASE: apiBase, ...withoutBase} = ws.env
    const partial = await runCommand(
      RunGenerate,
      ['--out-dir', ws.outDir, ...FAST_FLAGS, '--api-base', apiBase, '--customers', '6', '--seed', '5', '--json'],
      withoutBase,
    )
    expect(partial.exitCode).toBe(3)
    const {resumeCommand, runId} = JSON.parse(partial.stdout) as {resumeCommand: string; runId: string}
    expect(resumeCommand).toBe(
      `stripe-seed run generate --resume ${runId} --out-dir ${ws.outDir} --api-base ${apiBase}`,
    )

    const state = await ws.untouched()
    // FAST_FLAGS names --months: these resumes name neither customers nor months by flag, only in the file.
    const pace = FAST_FLAGS.filter((_, index) => !['--months', '1'].includes(FAST_FLAGS[index - (index % 2)]!))
    for (const [key, value, reason] of [
      ['customers', 4, 'it was started with 6 customers, not 4'],
      ['months', 3, 'it was started with 1 month, not 3'],
    ] as const) {
      const config = join(ws.outDir, '..', `${key}.json`)
      await writeFile(config, JSON.stringify({[key]: value}))
      const refused = await runCommand(
        RunGenerate,
        ['--out-dir', ws.outDir, ...pace, '--resume', '--config', config],
        ws.env,
      )
      expect(refused.exitCode).toBe(2)
      expect(refused.error?.message).toBe(`Cannot resume run ${runId}: ${reason}`)
    }
    expect(await ws.untouched()).toEqual(state)
  })

  it('a run given --api-key prints a resume command with a placeholder for the key (never the key); with the key put in, it runs as printed', async () => {
    const ws = await withEarlierRun({failClocksNamed: /:2$/})
    const {STRIPE_API_BASE: apiBase, STRIPE_SECRET_KEY: key, ...bare} = ws.env
    const partial = await runCommand(
      RunGenerate,
      ['--out-dir', ws.outDir, ...FAST_FLAGS, '--api-base', apiBase, '--api-key', key, '--customers', '6', '--json'],
      bare,
    )
    expect(partial.exitCode).toBe(3)
    const {resumeCommand, runId} = JSON.parse(partial.stdout) as {resumeCommand: string; runId: string}
    expect(resumeCommand).toBe(
      `stripe-seed run generate --resume ${runId} --out-dir ${ws.outDir} --api-base ${apiBase} --api-key '<your sk_test_… key>'`,
    )
    expect(partial.stdout + partial.stderr).not.toContain(key)
    // As a shell reads it: `stripe-seed run generate` is the command; the quoted placeholder is one word.
    const words = resumeCommand.replace(" '<your sk_test_… key>'", '').split(' ').slice(3)
    const asPasted = await runCommand(RunGenerate, [...words, '<your sk_test_… key>'], bare)
    expect(asPasted.exitCode).toBe(2)
    expect(asPasted.error?.message).toBe(
      '--api-key holds the placeholder of a printed command: put your test-mode key in its place',
    )
    const resumed = await runCommand(RunGenerate, [...words, key, ...FAST_FLAGS], bare)
    expect(resumed.exitCode, resumed.error?.message).toBe(0)
    expect(resumed.stdout).toMatch(/\(resumed\) complete/)
  })

  it('--scenario: list names every scenario; an unknown name is a usage error naming them; a stripe_prices.json without the catalog says what to run, nothing deleted', async () => {
    const list = await runCommand(RunGenerate, ['--scenario', 'list'])
    expect(list.exitCode).toBe(0)
    for (const {name, description} of listScenarios())
      expect(list.stdout).toMatch(new RegExp(`^${name} +${description.slice(0, 30).replace(/[()]/g, '.')}`, 'm'))
    const unknown = await runCommand(RunGenerate, ['--scenario', 'nope', '--dry-run'])
    expect(unknown.exitCode).toBe(2)
    expect(unknown.error?.message).toMatch(/Unknown scenario "nope": choose one of default, saas, /)
    const fromEnv = await runCommand(RunGenerate, ['--dry-run', '--customers', '200', '--seed', '1', '--json'], {
      STRIPE_SEED_SCENARIO: 'saas',
    })
    expect(fromEnv.exitCode).toBe(0)
    expect(
      (JSON.parse(fromEnv.stdout) as {plan: {featureCounts?: Record<string, number>}}).plan.featureCounts,
    ).toMatchObject({yearly: 30, reactivation: 8})

    const ws = await withEarlierRun()
    // The scenario adds a coupon in month 3: six months, as its default.
    const run = await runCommand(
      RunGenerate,
      ['--out-dir', ws.outDir, ...FAST_FLAGS.slice(0, -2), '--customers', '3', '--seed', '2', '--scenario', 'saas'],
      ws.env,
    )
    expect(run.exitCode, run.error?.message).toBe(1)
    expect(run.error?.message).toMatch(
      /stripe_prices\.json does not hold this scenario's prices and coupons: it has no catalog$/,
    )
    expect((run.error as {suggestions?: string[]}).suggestions?.[0]).toContain(
      'stripe-seed prices seed --scenario saas',
    )
    expect(await ws.untouched()).toEqual(ws.state)
  })
})
