import {readFile, readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {CurrentRunFileSchema} from '../../src/files/formats.js'
import {errorLine, runCli, startCli} from '../helpers/cli.js'
import {useFreshEmulators} from '../helpers/emulator.js'
import {stubServer} from '../helpers/stub-server.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
const freshEmulator = useFreshEmulators()

// Issue 18: what a new user hit when a command was stopped, or given a wrong place or file.
describe('recovery and plain refusals (built CLI, real process)', () => {
  it('prices seed into an out-dir that is a file: one plain line, exit 1, before any request (item 5)', async () => {
    const cwd = await tempDir()
    await writeFile(join(cwd, 'config'), 'a file where the out-dir should be')
    const stub = await stubServer(200, {object: 'list', data: [], has_more: false})
    try {
      const env = {STRIPE_SECRET_KEY: 'sk_test_outdir', STRIPE_API_BASE: stub.url}
      const run = await runCli(['prices', 'seed'], {cwd, env})
      expect(run.code).toBe(1)
      expect(errorLine(run.stderr)).toBe(
        `Error: The out-dir ${join(cwd, 'config')} is a file, not a directory Try this: Pass --out-dir with a directory (it is created if absent).`,
      )
      // Under a file: mkdir's ENOTDIR, still before any request.
      const nested = await runCli(['prices', 'seed', '--out-dir', 'config/prices'], {cwd, env})
      expect(nested.code).toBe(1)
      expect(errorLine(nested.stderr)).toMatch(/^Error: The out-dir .*config\/prices is not writable/)
      expect(stub.requests).toEqual([])
      expect(await readdir(cwd)).toEqual(['config'])
    } finally {
      await stub.close()
    }
  })

  it('Ctrl-C during prices seed says how far it got and how to finish, exit 130; the re-run completes it (item 4)', async () => {
    // Latency keeps requests in flight when the signal lands; the kill waits for the first created price, not a time.
    const emulator = await freshEmulator({latencyMs: [150, 150]})
    const cwd = await tempDir()
    const env = {STRIPE_SECRET_KEY: 'sk_test_interrupt', STRIPE_API_BASE: emulator.url}
    const {child, done} = startCli(['prices', 'seed', '--scenario', 'saas'], {cwd, env})
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      if (/^price 1 of 27: \S+ created$/m.test(stderr) && !child.killed) child.kill('SIGINT')
    })
    const run = await done
    expect(run.code, run.stderr).toBe(130)
    const line = errorLine(run.stderr)
    const match =
      /^Error: Interrupted after (\d+) of 27 prices, (\d) of 4 coupons and (\d) of 1 promotion code; run `stripe-seed prices seed --scenario saas` again to finish: it reuses what exists$/.exec(
        line,
      )
    expect(match, line).not.toBeNull()
    const seeded = Number(match![1])
    expect(seeded).toBeGreaterThan(0)
    expect(seeded).toBeLessThan(27)
    // What it says is what the account holds.
    const onAccount = [...emulator.engine.prices.values()].filter((price) =>
      price.lookupKey?.startsWith('stripe_seed_'),
    )
    expect(onAccount).toHaveLength(seeded)

    const again = await runCli(['prices', 'seed', '--scenario', 'saas', '--json'], {cwd, env})
    expect(again.code, again.stderr).toBe(0)
    const result = JSON.parse(again.stdout) as {catalog: {prices: Array<{outcome: string}>}}
    const outcomes = result.catalog.prices.map((price) => price.outcome)
    expect(outcomes.filter((outcome) => outcome === 'existing')).toHaveLength(seeded)
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(27 - seeded)
  })

  it('a damaged current_run.json: a warning naming it, a copy kept, and the command goes on (item 6)', async () => {
    const emulator = await freshEmulator()
    const cwd = await tempDir()
    const env = {STRIPE_SECRET_KEY: 'sk_test_damaged', STRIPE_API_BASE: emulator.url}
    expect((await runCli(['prices', 'seed'], {cwd, env})).code).toBe(0)
    const path = join(cwd, 'config', 'current_run.json')
    await writeFile(path, '{"run_id": "2026')
    const copies = async () => (await readdir(join(cwd, 'config'))).filter((name) => name.includes('.corrupt-'))

    const cleanup = await runCli(['clocks', 'cleanup', '--dry-run'], {cwd, env})
    expect(cleanup.code, cleanup.stderr).toBe(0)
    const [copy, ...more] = await copies()
    expect(more).toEqual([])
    expect(copy).toMatch(/^current_run\.json\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/)
    expect(cleanup.stderr).toContain(`Warning: ${path} is damaged (not valid JSON: `)
    expect(cleanup.stderr).toContain(`kept a copy as ${copy}, going on without it`)
    expect(await readFile(join(cwd, 'config', copy!), 'utf8')).toBe('{"run_id": "2026')

    // A run replaces it with its own; the damaged one stays in its copy, copied once.
    const run = await runCli(['run', 'generate', '--customers', '2', '--months', '1'], {cwd, env})
    expect(run.code, run.stderr).toBe(0)
    expect(CurrentRunFileSchema.safeParse(JSON.parse(await readFile(path, 'utf8'))).success).toBe(true)
    expect(await copies()).toEqual([copy])
  })
})
