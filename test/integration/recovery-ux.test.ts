import {createServer} from 'node:http'
import {readFile, readdir, writeFile} from 'node:fs/promises'
import type {AddressInfo} from 'node:net'
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
      if (/^price 1 of 30: \S+ created$/m.test(stderr) && !child.killed) child.kill('SIGINT')
    })
    const run = await done
    expect(run.code, run.stderr).toBe(130)
    const line = errorLine(run.stderr)
    const match =
      /^Error: Interrupted after (\d+) of 30 prices, (\d) of 4 coupons and (\d) of 1 promotion code; run `stripe-seed prices seed --scenario saas` again to finish: it reuses what exists$/.exec(
        line,
      )
    expect(match, line).not.toBeNull()
    const seeded = Number(match![1])
    expect(seeded).toBeGreaterThan(0)
    expect(seeded).toBeLessThan(30)
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
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(30 - seeded)
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

    // run generate names the damage too, --keep-clocks or not: its end overwrites the file.
    await writeFile(path, '')
    const kept = await runCli(['run', 'generate', '--customers', '2', '--months', '1', '--keep-clocks'], {cwd, env})
    expect(kept.code, kept.stderr).toBe(0)
    expect(kept.stderr).toContain(`Warning: ${path} is damaged`)
    expect(await copies()).toHaveLength(2)
  })

  it('an --api-base that is not Stripe (a 404 with no body): named plainly, one request, exit 1 (item 13)', async () => {
    let requests = 0
    const server = createServer((_req, res) => {
      requests++
      res.writeHead(404).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const cwd = await tempDir()
      const run = await runCli(['prices', 'seed', '--api-base', url], {
        cwd,
        env: {STRIPE_SECRET_KEY: 'sk_test_notstripe'},
      })
      expect(run.code).toBe(1)
      expect(errorLine(run.stderr)).toMatch(
        new RegExp(
          `^Error: ${url} does not answer like Stripe's API: its reply is not Stripe's JSON Try this: Check --api-base`,
        ),
      )
      expect(requests).toBe(1)
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('config files: an empty one is refused naming it, TOML is read, another extension lists the formats (item 13)', async () => {
    const cwd = await tempDir()
    await writeFile(join(cwd, 'empty.json'), '')
    const empty = await runCli(['run', 'generate', '--dry-run', '--config', 'empty.json'], {cwd})
    expect(empty.code).toBe(2)
    expect(errorLine(empty.stderr)).toBe(
      `Error: Config file ${join(cwd, 'empty.json')} is empty Try this: Give it the settings to change ({} keeps every default), or remove it.`,
    )

    await writeFile(join(cwd, 'seed.toml'), 'customers = 7\nmonths = 2\n')
    const toml = await runCli(['run', 'generate', '--dry-run', '--seed', '1', '--config', 'seed.toml', '--json'], {cwd})
    expect(toml.code, toml.stderr).toBe(0)
    const plan = (JSON.parse(toml.stdout) as {plan: {customers: unknown[]; months: number}}).plan
    expect([plan.customers.length, plan.months]).toEqual([7, 2])

    await writeFile(join(cwd, 'bad.toml'), 'customers = \n')
    const bad = await runCli(['run', 'generate', '--dry-run', '--config', 'bad.toml'], {cwd})
    expect(bad.code).toBe(2)
    expect(errorLine(bad.stderr)).toBe(
      `Error: Cannot read config ${join(cwd, 'bad.toml')}: line 1, column 13: invalid value`,
    )

    await writeFile(join(cwd, 'seed.ini'), 'customers=7\n')
    const ini = await runCli(['run', 'generate', '--dry-run', '--config', 'seed.ini'], {cwd})
    expect(ini.code).toBe(2)
    expect(errorLine(ini.stderr)).toMatch(
      /seed\.ini: \.ini is not a config format stripe-seed reads \(JSON, YAML, TOML/,
    )
  })

  it('emulator --webhook-secret without --forward-to is a usage error, exit 2, before it listens (item 13)', async () => {
    const cwd = await tempDir()
    const run = await runCli(['emulator', '--port', '0', '--webhook-secret', 'whsec_alone'], {cwd})
    expect(run.code).toBe(2)
    expect(errorLine(run.stderr)).toBe(
      'Error: --webhook-secret needs --forward-to: it signs the events forwarded there, and nothing else',
    )
    expect(run.stdout).not.toContain('listening')
  })
})
