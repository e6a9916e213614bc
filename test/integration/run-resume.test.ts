import {watch} from 'node:fs'
import {access, readFile, readdir} from 'node:fs/promises'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {type EmulatorOptions, type RunningEmulator, startEmulator} from '../../src/emulator/server.js'
import {SnapshotsFileSchema} from '../../src/files/formats.js'
import {type JournalEntry, readJournal} from '../../src/run/journal.js'
import {type CliResult, runCli, startCli} from '../helpers/cli.js'
import {FAST} from '../helpers/emulator.js'
import {accountCounts, withoutIds} from '../helpers/run-service.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
const running: RunningEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()))
})

const FAST_FLAGS = ['--max-rps', '500', '--rate', '200', '--concurrency', '20']
const N = 9
const RUN = ['--customers', String(N), '--months', '3', '--seed', '12', ...FAST_FLAGS]

async function workspace(options: EmulatorOptions = {}) {
  const emulator = await startEmulator({...FAST, ...options})
  running.push(emulator)
  const cwd = await tempDir()
  const env = {STRIPE_API_BASE: emulator.url, STRIPE_SECRET_KEY: 'sk_test_e2e_resume'}
  const outDir = join(cwd, 'config')
  const snapshots = async () =>
    withoutIds(SnapshotsFileSchema.parse(JSON.parse(await readFile(join(outDir, 'sub_snapshots.json'), 'utf8'))))
  const seeded = await runCli(['prices', 'seed'], {cwd, env})
  expect(seeded.code, seeded.stderr).toBe(0)
  return {emulator, cwd, env, outDir, snapshots}
}

/** Every journal line written so far in this out-dir (a torn last line left out). */
async function journalEntries(outDir: string): Promise<JournalEntry[]> {
  const dir = join(outDir, '.stripe-seed', 'runs')
  const names = await readdir(dir).catch(() => [] as string[])
  const entries: JournalEntry[] = []
  for (const name of names) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      try {
        entries.push(JSON.parse(line) as JournalEntry)
      } catch {
        // the torn end of a line still being written
      }
    }
  }
  return entries
}

/**
 * Starts `run generate` and sends `signal` the moment the out-dir shows the wanted state (watching
 * the journal and files as they change: no sleeps). Only lines this process wrote count.
 */
async function stopWhen(
  ws: Awaited<ReturnType<typeof workspace>>,
  args: string[],
  signal: NodeJS.Signals | 'SIGINT twice',
  reached: (fresh: JournalEntry[]) => boolean | Promise<boolean>,
) {
  const before = (await journalEntries(ws.outDir)).length
  const {child, done} = startCli(['run', 'generate', ...args], {cwd: ws.cwd, env: ws.env})
  let sent = false
  let checking = false
  const check = async () => {
    if (sent || checking) return
    checking = true
    try {
      if (await reached((await journalEntries(ws.outDir)).slice(before))) {
        sent = true
        if (signal !== 'SIGINT twice') child.kill(signal)
        else {
          child.kill('SIGINT')
          // The second Ctrl-C once the first has been seen: the process says so on stderr.
          child.stderr.on(
            'data',
            (chunk: Buffer) => chunk.toString().includes('SIGINT: no new requests') && child.kill('SIGINT'),
          )
        }
      }
    } finally {
      checking = false
    }
  }
  const watcher = watch(ws.outDir, {recursive: true}, () => void check())
  // Changes can land while a check reads: look again until the process ends.
  const again = setInterval(() => void check(), 20)
  const result = await done
  watcher.close()
  clearInterval(again)
  return {...result, sent}
}

const kinds = (entries: JournalEntry[], type: JournalEntry['type']) => entries.filter((entry) => entry.type === type)

describe('run generate survives SIGKILL and Ctrl-C (built CLI and emulator as processes)', () => {
  it('killed at five points across a run (and stopped by SIGTERM at a sixth), resumed each time: the rows of an uninterrupted run, exactly N customers', async () => {
    const clean = await workspace()
    const uninterrupted = await runCli(['run', 'generate', ...RUN], {cwd: clean.cwd, env: clean.env})
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0)

    const ws = await workspace()
    const points: Array<
      [string, NodeJS.Signals | 'SIGINT twice', (fresh: JournalEntry[]) => boolean | Promise<boolean>]
    > = [
      ['during creation', 'SIGKILL', (fresh) => kinds(fresh, 'customer').length >= 2],
      ['mid-advance', 'SIGKILL', (fresh) => kinds(fresh, 'advanced').length >= 1],
      [
        'between events and read-back',
        'SIGKILL',
        (fresh) => kinds(fresh, 'event').length >= 1 || kinds(fresh, 'month').length >= 1,
      ],
      ['in a later month', 'SIGKILL', (fresh) => fresh.some((entry) => entry.type === 'advanced' && entry.month >= 2)],
      ['in the last month', 'SIGTERM', (fresh) => fresh.some((entry) => entry.type === 'month' && entry.month === 3)],
      [
        'during the final save',
        'SIGKILL',
        () =>
          access(join(ws.outDir, 'current_run.json')).then(
            () => true,
            () => false,
          ),
      ],
    ]
    let args = RUN
    for (const [name, signal, reached] of points) {
      const stopped = await stopWhen(ws, args, signal, reached)
      if (signal === 'SIGKILL')
        expect({point: name, signal: stopped.signal}, stopped.stderr).toEqual({point: name, signal: 'SIGKILL'})
      else {
        // SIGTERM, as a CI runner or `kill` sends it: the same orderly stop as Ctrl-C, exit 143.
        expect({point: name, code: stopped.code}, stopped.stderr).toEqual({point: name, code: 143})
        expect(stopped.stdout).toMatch(/INTERRUPTED[\s\S]*resume with {4}stripe-seed run generate --resume \S+/)
        // What was done and what is left, not "0 customers on 0 complete clocks".
        expect(stopped.stdout).toMatch(new RegExp(`done {11}${N} of ${N} customers on 3 of 3 clocks created · month`))
        expect(stopped.stdout).toMatch(/left {11}.*the files \(resume to continue\)/)
        // The view neither ticks nor fails a run that was stopped: the save step says it did not happen.
        expect(stopped.stderr).toMatch(/↓ save \[SKIPPED: nothing written/)
        expect(stopped.stderr).toMatch(/↓ run \[SKIPPED: stopped before its end/)
        expect(stopped.stderr).not.toMatch(/✔ save|✔ run|✖/)
      }
      args = ['--resume', ...FAST_FLAGS]
    }
    // The last kill lands once current_run.json exists: usually mid-save, but a save of a small run can
    // finish before the signal does. Which one happened is in the journal, not in a timing assumption.
    const savedBeforeKill = (await journalEntries(ws.outDir)).some((entry) => entry.type === 'saved')
    const finished: CliResult = await runCli(['run', 'generate', '--resume', ...FAST_FLAGS], {cwd: ws.cwd, env: ws.env})
    if (savedBeforeKill) {
      expect(finished.code, finished.stderr).toBe(2)
      expect(finished.stderr).toMatch(/is already complete: nothing to resume/)
    } else {
      expect(finished.code, finished.stderr).toBe(0)
      // The killed process left its lock behind; the resume took it over and said so.
      expect(finished.stderr).toMatch(/Took over the lock of a stripe-seed process that is gone \(pid \d+/)
      expect(finished.stdout).toMatch(/Run \S+ \(resumed\) complete/)
    }
    expect(accountCounts(ws.emulator)).toEqual({
      clocks: Math.ceil(N / 3),
      customers: N,
      subscriptions: N,
      maxSubscriptionsPerCustomer: 1,
    })
    expect(await ws.snapshots()).toEqual(await clean.snapshots())

    const again = await runCli(['run', 'generate', '--resume'], {cwd: ws.cwd, env: ws.env})
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/is already complete: nothing to resume/)
  })

  it('Ctrl-C: finishes what is in flight, prints the resume command, exits 130; --json gives status interrupted; the command it printed completes the run', async () => {
    const clean = await workspace()
    expect((await runCli(['run', 'generate', ...RUN], {cwd: clean.cwd, env: clean.env})).code).toBe(0)

    const ws = await workspace()
    const stopped = await stopWhen(ws, [...RUN, '--json'], 'SIGINT', (fresh) => kinds(fresh, 'advanced').length >= 1)
    expect(stopped.code, stopped.stderr).toBe(130)
    const result = JSON.parse(stopped.stdout) as {status: string; resumeCommand: string; runId: string; files: string[]}
    expect(result).toMatchObject({status: 'interrupted', files: []})
    expect(result.resumeCommand).toBe(`stripe-seed run generate --resume ${result.runId}`)
    expect(stopped.stderr).toContain('SIGINT: no new requests')
    await expect(access(join(ws.outDir, 'sub_snapshots.json'))).rejects.toThrow()
    // The lock was released on the way out: the resume takes nothing over.
    const resumed = await runCli([...result.resumeCommand.split(' ').slice(1), ...FAST_FLAGS], {
      cwd: ws.cwd,
      env: ws.env,
    })
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).not.toContain('Took over')
    expect(accountCounts(ws.emulator)).toEqual({
      clocks: Math.ceil(N / 3),
      customers: N,
      subscriptions: N,
      maxSubscriptionsPerCustomer: 1,
    })
    expect(await ws.snapshots()).toEqual(await clean.snapshots())
  })

  it('a second Ctrl-C exits at once, while a request is still in flight; the journal stays readable', async () => {
    // Every answer takes 400 ms, so the first Ctrl-C has a request to wait for when the second comes.
    const ws = await workspace({latencyMs: 400})
    const stopped = await stopWhen(ws, RUN, 'SIGINT twice', (fresh) => kinds(fresh, 'customer').length >= 1)
    expect(stopped.code, stopped.stderr).toBe(130)
    expect(stopped.stderr).toMatch(/Stopped at once\. Resume with: stripe-seed run generate --resume \S+/)
    const [name] = await readdir(join(ws.outDir, '.stripe-seed', 'runs'))
    const journal = await readJournal(join(ws.outDir, '.stripe-seed', 'runs', name!))
    expect(journal.entries.length).toBeGreaterThan(0)
    await expect(access(join(ws.outDir, '.stripe-seed', 'lock'))).rejects.toThrow()
  })
})
