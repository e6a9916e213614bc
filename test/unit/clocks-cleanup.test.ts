import {mkdir, readFile, readdir, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'
import nock from 'nock'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import ClocksCleanup from '../../src/commands/clocks/cleanup.js'
import {interceptAll, list, recorder} from '../helpers/fake-stripe.js'
import {runCommand} from '../helpers/in-process.js'
import {useTempDirs} from '../helpers/tmp.js'

const answer = vi.hoisted(() => ({value: 'n'}))
vi.mock('node:readline/promises', () => ({
  createInterface: () => ({question: async () => answer.value, close: () => {}}),
}))

const clock = (id: string, name: string | null, status = 'ready') => ({
  id,
  object: 'test_helpers.test_clock',
  name,
  status,
  frozen_time: 1,
  created: 1,
  livemode: false,
  status_details: {},
  deletes_after: 2,
})
const CLOCKS = [
  clock('clock_seed1', 'stripe-seed:20261124-000000-7:01'),
  clock('clock_other', 'billing-team-fixture'),
  clock('clock_seed2', 'stripe-seed:20261124-000000-7:02'),
  clock('clock_unnamed', null),
  clock('clock_teammate', 'stripe-seed:20261124-090000-3:1'),
]
const env = {STRIPE_SECRET_KEY: 'sk_test_cleanup', STRIPE_API_BASE: undefined, CI: '1'}

let seen: ReturnType<typeof recorder>['seen']
let isTTY: boolean | undefined
let outDir: string
const tempDir = useTempDirs()

beforeEach(async () => {
  // This out-dir knows run 20261124-000000-7: clock_seed1 by its journal, clock_seed2 only by name (a crash orphan).
  outDir = await tempDir()
  await mkdir(join(outDir, '.stripe-seed', 'runs'), {recursive: true})
  const header = {
    type: 'run',
    version: 1,
    run_id: '20261124-000000-7',
    seed: 7,
    customers: 6,
    months: 1,
    start_time: 1,
    config: {},
    price_ids: {},
    started_at: '2026-11-24T00:00:00.000Z',
  }
  await writeFile(
    join(outDir, '.stripe-seed', 'runs', '20261124-000000-7.jsonl'),
    `${JSON.stringify(header)}\n${JSON.stringify({type: 'clock', clock: 0, attempt: 1, clock_id: 'clock_seed1'})}\n`,
  )
  const rec = recorder()
  seen = rec.seen
  isTTY = process.stdin.isTTY
  interceptAll()
    .persist()
    .get('/v1/test_helpers/test_clocks')
    .query(true)
    .reply((uri) => {
      rec.record('GET', uri, undefined)
      return [200, list(CLOCKS, '/v1/test_helpers/test_clocks')]
    })
    .delete(/\/v1\/test_helpers\/test_clocks\/clock_\w+/)
    .reply((uri) => {
      rec.record('DELETE', uri, undefined)
      return [200, {id: uri.split('/').at(-1), object: 'test_helpers.test_clock', deleted: true}]
    })
})

afterEach(() => {
  nock.cleanAll()
  nock.enableNetConnect()
  Object.defineProperty(process.stdin, 'isTTY', {value: isTTY, configurable: true})
})

const deletedIds = () =>
  seen
    .filter((r) => r.method === 'DELETE')
    .map((r) => r.path.split('/').at(-1)!)
    .sort()
const setTTY = (value: boolean) => Object.defineProperty(process.stdin, 'isTTY', {value, configurable: true})

describe('stripe-seed clocks cleanup', () => {
  it("by default deletes only this out-dir's runs' clocks (orphans found by name), never a teammate's run; then forgets the run", async () => {
    const result = await runCommand(ClocksCleanup, ['--out-dir', outDir], env)
    expect(result.exitCode).toBe(0)
    expect(deletedIds()).toEqual(['clock_seed1', 'clock_seed2'])
    expect(result.stdout).toContain('Deleted 2 of 2 clocks (3 other clocks left alone)')
    expect(await readdir(join(outDir, '.stripe-seed', 'runs'))).toEqual([])
  })

  it("a damaged journal (a garbage line): warns, deletes that run's clocks by name, then forgets the journal", async () => {
    const path = join(outDir, '.stripe-seed', 'runs', '20261124-000000-7.jsonl')
    const [header, clockLine] = (await readFile(path, 'utf8')).trimEnd().split('\n')
    await writeFile(path, `${header}\ngarbage{\n${clockLine}\n`)
    const result = await runCommand(ClocksCleanup, ['--out-dir', outDir], env)
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stderr).toContain(
      `Warning: The run journal ${path} is damaged at line 2; run 20261124-000000-7's clocks are found by their names instead`,
    )
    expect(deletedIds()).toEqual(['clock_seed1', 'clock_seed2'])
    expect(await readdir(join(outDir, '.stripe-seed', 'runs'))).toEqual([])
  })

  it('--all-runs takes every stripe-seed clock in the account, after confirmation', async () => {
    setTTY(false)
    const refused = await runCommand(ClocksCleanup, ['--all-runs', '--out-dir', outDir], env)
    expect(refused.exitCode).toBe(2)
    expect(refused.error?.message).toContain('add --yes')
    const forced = await runCommand(ClocksCleanup, ['--all-runs', '--yes', '--out-dir', outDir], env)
    expect(forced.exitCode).toBe(0)
    expect(deletedIds()).toEqual(['clock_seed1', 'clock_seed2', 'clock_teammate'])
  })

  it('refuses while another live process holds the out-dir, deleting nothing', async () => {
    await writeFile(
      join(outDir, '.stripe-seed', 'lock'),
      JSON.stringify({pid: process.pid, host: hostname(), started_at: 'now', purpose: 'run generate'}),
    )
    const result = await runCommand(ClocksCleanup, ['--out-dir', outDir], env)
    expect(result.exitCode).toBe(1)
    expect(result.error?.message).toMatch(
      /^Another stripe-seed process \(pid \d+ on .*, run generate since now\) is using this out-dir/,
    )
    expect(seen).toEqual([])
  })

  it('--dry-run lists what would be deleted and deletes nothing', async () => {
    const result = await runCommand(ClocksCleanup, ['--dry-run', '--json', '--out-dir', outDir], env)
    expect(result.exitCode).toBe(0)
    expect(deletedIds()).toEqual([])
    const json = JSON.parse(result.stdout) as {selected: Array<{id: string}>; deleted: string[]; dryRun: boolean}
    expect(json.selected.map((c) => c.id)).toEqual(['clock_seed1', 'clock_seed2'])
    expect(json).toMatchObject({deleted: [], dryRun: true})
  })

  it('--all without a terminal is refused unless --yes, before any request', async () => {
    setTTY(false)
    const refused = await runCommand(ClocksCleanup, ['--all'], env)
    expect(refused.exitCode).toBe(2)
    expect(refused.error?.message).toContain('add --yes')
    expect(seen).toEqual([])

    const forced = await runCommand(ClocksCleanup, ['--all', '--yes'], env)
    expect(forced.exitCode).toBe(0)
    expect(deletedIds()).toEqual(['clock_other', 'clock_seed1', 'clock_seed2', 'clock_teammate', 'clock_unnamed'])
  })

  it('--all on a terminal asks first: "n" deletes nothing, "y" deletes every clock', async () => {
    setTTY(true)
    answer.value = 'n'
    const no = await runCommand(ClocksCleanup, ['--all'], env)
    expect(no.exitCode).toBe(1)
    expect(no.error).toBeUndefined()
    expect(no.stderr).toContain('Nothing deleted.')
    expect(no.stderr).not.toContain('Error')
    expect(deletedIds()).toEqual([])

    answer.value = 'y'
    const yes = await runCommand(ClocksCleanup, ['--all'], env)
    expect(yes.exitCode).toBe(0)
    expect(deletedIds()).toEqual(['clock_other', 'clock_seed1', 'clock_seed2', 'clock_teammate', 'clock_unnamed'])
  })

  it('--all --dry-run needs no confirmation and deletes nothing', async () => {
    setTTY(false)
    const result = await runCommand(ClocksCleanup, ['--all', '--dry-run'], env)
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('5 clocks would be deleted')
    expect(deletedIds()).toEqual([])
  })
})
