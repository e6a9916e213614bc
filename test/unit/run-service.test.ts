import {appendFile, mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import type {ClockWatcher} from '../../src/clocks/watcher.js'
import {type EmulatorOptions, type RunningEmulator, startEmulator} from '../../src/emulator/server.js'
import {BugError} from '../../src/errors.js'
import {Journal, journalPath, readJournal} from '../../src/run/journal.js'
import type {RunProgress} from '../../src/run/progress.js'
import {FAST} from '../helpers/emulator.js'
import {
  accountCounts,
  fastConfig,
  loseEachClocksLastLine,
  readSnapshots,
  runService,
  seedEmulatorPrices,
  withoutIds,
} from '../helpers/run-service.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
const running: RunningEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()))
})

const N = 9
const MONTHS = 2
const SEED = 5

async function workspace(options: EmulatorOptions = {}) {
  const emulator = await startEmulator({...FAST, ...options})
  running.push(emulator)
  const outDir = await tempDir()
  await seedEmulatorPrices(emulator, outDir)
  return {emulator, outDir}
}

let cleanOnce: Promise<ReturnType<typeof withoutIds>> | undefined
/** The rows of an uninterrupted, fault-free run with the same seed (made once): what every other run must end with. */
function cleanRows() {
  cleanOnce ??= (async () => {
    const emulator = await startEmulator(FAST)
    const outDir = await mkdtemp(join(tmpdir(), 'stripe-seed-clean-'))
    try {
      await seedEmulatorPrices(emulator, outDir)
      const result = await runService(emulator, outDir, {customers: N, months: MONTHS, seed: SEED})
      expect(result.status).toBe('complete')
      return withoutIds(await readSnapshots(outDir))
    } finally {
      await emulator.close()
      await rm(outDir, {recursive: true, force: true})
    }
  })()
  return cleanOnce
}

const exactly = {clocks: Math.ceil(N / 3), customers: N, subscriptions: N, maxSubscriptionsPerCustomer: 1}

describe('run generate as a service against an in-process emulator', () => {
  it('ten fault seeds at 10% faults, rate limit on: every run completes with the clean rows and nothing twice', async () => {
    const clean = await cleanRows()
    const seeds = Array.from({length: 10}, (_, i) => i + 1)
    const results = await Promise.all(
      seeds.map(async (seed) => {
        const {emulator, outDir} = await workspace({seed, faultRate: 0.1, rateLimit: 25})
        const result = await runService(emulator, outDir, {
          customers: N,
          months: MONTHS,
          seed: SEED,
          config: fastConfig({maxRps: 20}),
        })
        return {seed, result, rows: withoutIds(await readSnapshots(outDir)), counts: accountCounts(emulator)}
      }),
    )
    for (const {seed, result, rows, counts} of results) {
      expect(result.status, `fault seed ${seed}`).toBe('complete')
      expect(rows, `fault seed ${seed}`).toEqual(clean)
      expect(counts, `fault seed ${seed}`).toEqual(exactly)
    }
    // The faults were there, and were retried.
    expect(results.reduce((sum, r) => sum + r.result.requests.retries, 0)).toBeGreaterThan(10)
  })

  /** Stops the run when `when` first holds, then loses each clock's last journal line and tears the end: a crash's aftermath. */
  const crashPoints: Array<[string, (progress: RunProgress) => boolean]> = [
    ['during creation', (p) => p.has('create') && p.phase('create').done >= 1],
    ['when the first advance is under way', (p) => p.has('month 1') && p.phase('month 1').state !== 'pending'],
    ['after a month is read back', (p) => p.has('month 1') && p.phase('month 1').done >= 2],
    ['in the last month', (p) => p.has(`month ${MONTHS}`) && p.phase(`month ${MONTHS}`).state !== 'pending'],
  ]

  it.each(crashPoints)(
    'stopped %s, with the last steps unjournaled: --resume ends with the clean rows and nothing twice',
    async (_name, when) => {
      const clean = await cleanRows()
      const {emulator, outDir} = await workspace()
      const stop = new AbortController()
      const first = await runService(emulator, outDir, {
        customers: N,
        months: MONTHS,
        seed: SEED,
        signal: stop.signal,
        onProgress: (p) => when(p) && stop.abort(),
      })
      expect(first.status).toBe('interrupted')
      expect(await readdir(outDir)).not.toContain('sub_snapshots.json')

      // Each clock's last step happened in Stripe but its line never reached the disk; the last line is torn.
      const path = journalPath(outDir, first.runId)
      await loseEachClocksLastLine(path, '{"type":"customer","clo')

      const resumed = await runService(emulator, outDir, {
        customers: N,
        months: MONTHS,
        seed: SEED,
        resume: first.runId,
      })
      expect(resumed).toMatchObject({status: 'complete', resumed: true, runId: first.runId})
      expect(withoutIds(await readSnapshots(outDir))).toEqual(clean)
      expect(accountCounts(emulator)).toEqual(exactly)
      expect((await readJournal(path)).saved).toBe('complete')
    },
  )

  it("a partial run's failed clock is retried by --resume with a new clock for the same customers", async () => {
    const clean = await cleanRows()
    const {emulator, outDir} = await workspace({failClocksNamed: /:2$/})
    const partial = await runService(emulator, outDir, {customers: N, months: MONTHS, seed: SEED})
    expect(partial.status).toBe('partial')
    expect(partial.failedClocks).toHaveLength(1)
    const resumed = await runService(emulator, outDir, {customers: N, months: MONTHS, seed: SEED, resume: true})
    expect(resumed.status).toBe('complete')
    expect(withoutIds(await readSnapshots(outDir))).toEqual(clean)
    expect(accountCounts(emulator)).toEqual(exactly)
    expect([...emulator.engine.clocks.values()].map((clock) => clock.name ?? '').sort()).toEqual([
      expect.stringMatching(/:1$/),
      expect.stringMatching(/:2:r2$/),
      expect.stringMatching(/:3$/),
    ])
  })

  it('a run that completes no clock is failed and leaves the earlier files as they were', async () => {
    const {emulator, outDir} = await workspace({failClocksNamed: /^stripe-seed:\d+-\d+-9:/})
    expect((await runService(emulator, outDir, {customers: 3, months: 1, seed: 8})).status).toBe('complete')
    const before = await Promise.all(
      ['current_run.json', 'sub_snapshots.json', 'run_details.json'].map((name) =>
        readFile(join(outDir, name), 'utf8'),
      ),
    )
    const failed = await runService(emulator, outDir, {customers: 3, months: 1, seed: 9})
    expect(failed.status).toBe('failed')
    expect(failed.files).toEqual([])
    const after = await Promise.all(
      ['current_run.json', 'sub_snapshots.json', 'run_details.json'].map((name) =>
        readFile(join(outDir, name), 'utf8'),
      ),
    )
    expect(after).toEqual(before)
  })

  it("an exception that is not Stripe's inside a clock's pipeline aborts the run as a BugError, not a failed clock", async () => {
    const {emulator, outDir} = await workspace()
    const broken = {
      waitUntilReady: () => Promise.reject(new TypeError('Cannot read properties of undefined')),
    } as unknown as ClockWatcher
    await expect(
      runService(emulator, outDir, {customers: 3, months: 1, seed: 2, watcher: broken}),
    ).rejects.toBeInstanceOf(BugError)
    expect(await readdir(outDir)).not.toContain('sub_snapshots.json')
  })

  it('journal: a torn last line is ignored, a damaged line before it is not', async () => {
    const {emulator, outDir} = await workspace()
    const result = await runService(emulator, outDir, {customers: 3, months: 1, seed: 4})
    const path = journalPath(outDir, result.runId)
    const whole = await readJournal(path)
    await appendFile(path, '{"type":"mon')
    expect((await readJournal(path)).entries).toEqual(whole.entries)
    const lines = (await readFile(path, 'utf8')).split('\n')
    lines[2] = '{"type":'
    await writeFile(path, lines.join('\n'))
    await expect(readJournal(path)).rejects.toThrow(/damaged at line 3/)
  })

  it("a damaged journal (a garbage line mid-file): resume is refused with advice that works; a new run warns, deletes that run's clocks by name and completes", async () => {
    const {emulator, outDir} = await workspace()
    const stop = new AbortController()
    const first = await runService(emulator, outDir, {
      customers: 6,
      months: 2,
      seed: 4,
      signal: stop.signal,
      onProgress: (p) => p.has('month 1') && p.phase('month 1').done >= 1 && stop.abort(),
    })
    expect(first.status).toBe('interrupted')
    const path = journalPath(outDir, first.runId)
    const lines = (await readFile(path, 'utf8')).split('\n')
    lines.splice(2, 0, 'garbage{')
    await writeFile(path, lines.join('\n'))
    const refused = runService(emulator, outDir, {customers: 6, months: 2, seed: 4, resume: true})
    await expect(refused).rejects.toThrow(`The run journal ${path} is damaged at line 3`)
    await expect(refused).rejects.toMatchObject({suggestion: expect.stringMatching(/Start a new run .*clocks cleanup/)})
    const notices: string[] = []
    const second = await runService(emulator, outDir, {
      customers: 3,
      months: 1,
      seed: 5,
      onNotices: (n) => notices.push(...n),
    })
    expect(notices).toContainEqual(
      expect.stringContaining(`damaged at line 3; run ${first.runId}'s clocks are found by their names`),
    )
    expect(second).toMatchObject({status: 'complete', cleanup: {deleted: 2, failed: 0}})
    expect(accountCounts(emulator)).toMatchObject({clocks: 1, customers: 3})
    expect(await readdir(join(outDir, '.stripe-seed', 'runs'))).toEqual([`${second.runId}.jsonl`])
  })

  it('a journal of an earlier version (months without ledger rows): resume is refused in one line, a new run in the out-dir still cleans its clocks up and completes', async () => {
    const {emulator, outDir} = await workspace()
    const stop = new AbortController()
    const first = await runService(emulator, outDir, {
      customers: 3,
      months: 2,
      seed: 4,
      signal: stop.signal,
      onProgress: (p) => p.has('month 1') && p.phase('month 1').done >= 1 && stop.abort(),
    })
    expect(first.status).toBe('interrupted')
    const path = journalPath(outDir, first.runId)
    const lines = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    await writeFile(path, `${lines.map(({items: _items, ...entry}) => JSON.stringify(entry)).join('\n')}\n`)
    await expect(runService(emulator, outDir, {customers: 3, months: 2, seed: 4, resume: first.runId})).rejects.toThrow(
      /it was started by an earlier stripe-seed, whose journal holds no ledger rows$/,
    )
    const second = await runService(emulator, outDir, {customers: 3, months: 1, seed: 5})
    expect(second).toMatchObject({status: 'complete', cleanup: {deleted: 1, failed: 0}})
    expect(accountCounts(emulator)).toMatchObject({clocks: 1, customers: 3})
  })

  it('journal: appends arriving together are written together, every one in order, none lost', async () => {
    const outDir = await tempDir()
    const header = {
      type: 'run' as const,
      version: 1 as const,
      run_id: 'r1',
      seed: 1,
      customers: 3,
      months: 1,
      start_time: 0,
      config: {},
      price_ids: {},
      started_at: new Date().toISOString(),
    }
    const journal = await Journal.create(outDir, header)
    await Promise.all(
      Array.from({length: 500}, (_, i) =>
        journal.append({type: 'advanced', clock: i % 7, attempt: 1, month: Math.floor(i / 7), target: i}),
      ),
    )
    await journal.close()
    const read = await readJournal(journalPath(outDir, 'r1'))
    expect(read.entries.map((entry) => (entry.type === 'advanced' ? entry.target : -1))).toEqual(
      Array.from({length: 500}, (_, i) => i),
    )
    expect(() => journal.append({type: 'advanced', clock: 0, attempt: 0, month: 1, target: 1})).toThrow(BugError)
  })
})
