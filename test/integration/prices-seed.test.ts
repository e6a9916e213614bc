import {chmod, mkdir, readFile, readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {PricesFileSchema} from '../../src/files/formats.js'
import {errorLine, runCli} from '../helpers/cli.js'
import {useEmulator} from '../helpers/emulator.js'
import {stubServer} from '../helpers/stub-server.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
const emulator = useEmulator()

describe('stripe-seed prices seed (built CLI, real process)', () => {
  it('seeds the five plans against the emulator, and a re-run creates nothing', async () => {
    const cwd = await tempDir()
    const env = {STRIPE_API_BASE: emulator().url, STRIPE_SECRET_KEY: 'sk_test_e2e_prices'}
    const first = await runCli(['prices', 'seed'], {cwd, env})
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/Pro Plus\s+\$15\.00\s+stripe_seed_pro_plus\s+price_\w+\s+created/)
    const file = PricesFileSchema.parse(JSON.parse(await readFile(join(cwd, 'config', 'stripe_prices.json'), 'utf8')))
    expect(Object.keys(file.price_ids)).toEqual(['free', 'standard', 'pro_plus', 'engage', 'enterprise'])

    const again = await runCli(['prices', 'seed', '--json'], {cwd, env})
    expect(again.code).toBe(0)
    const result = JSON.parse(again.stdout) as {plans: Array<{outcome: string; priceId: string; key: string}>}
    expect(result.plans.map((p) => p.outcome)).toEqual(['existing', 'existing', 'existing', 'existing', 'existing'])
    expect(Object.fromEntries(result.plans.map((p) => [p.key, p.priceId]))).toEqual(file.price_ids)
  })

  it('--scenario saas seeds yearly and per-currency prices, coupons and the promotion code, and lists them', async () => {
    const cwd = await tempDir()
    const env = {STRIPE_API_BASE: emulator().url, STRIPE_SECRET_KEY: 'sk_test_e2e_scenario'}
    const run = await runCli(['prices', 'seed', '--scenario', 'saas'], {cwd, env})
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/Pro Plus\s+yearly\s+€\S+\s+stripe_seed_pro_plus_yearly_eur\s+price_\w+\s+created/)
    expect(run.stdout).toMatch(/WELCOME30\s+stripe_seed_welcome_3_months\s+promo_\w+\s+created/)
    const file = PricesFileSchema.parse(JSON.parse(await readFile(join(cwd, 'config', 'stripe_prices.json'), 'utf8')))
    expect(file.catalog?.coupons.retention_15).toBe('stripe_seed_retention_15')
    expect(emulator().engine.prices.get(file.catalog!.prices.stripe_seed_standard_monthly_gbp!.price_id)).toMatchObject(
      {currency: 'gbp', lookupKey: 'stripe_seed_standard_monthly_gbp'},
    )
  })

  it('a changed amount in the config gets a new price and archives the old one', async () => {
    const cwd = await tempDir()
    const env = {STRIPE_API_BASE: emulator().url, STRIPE_SECRET_KEY: 'sk_test_e2e_change'}
    expect((await runCli(['prices', 'seed'], {cwd, env})).code).toBe(0)
    const before = PricesFileSchema.parse(JSON.parse(await readFile(join(cwd, 'config', 'stripe_prices.json'), 'utf8')))
    const {DEFAULT_PLANS} = await import('../../src/config/schema.js')
    await writeFile(
      join(cwd, '.stripe-seedrc.json'),
      JSON.stringify({plans: DEFAULT_PLANS.map((p) => (p.key === 'engage' ? {...p, unitAmount: 3500} : p))}),
    )
    const run = await runCli(['prices', 'seed'], {cwd, env})
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(
      new RegExp(`Engage\\s+\\$35\\.00\\s+stripe_seed_engage\\s+price_\\w+\\s+replaced ${before.price_ids.engage}`),
    )
    const old = emulator().engine.prices.get(before.price_ids.engage!)
    expect(old).toMatchObject({active: false, lookupKey: null, unitAmount: 3000})
  })

  it('reads the key from .env when neither flag nor environment has one', async () => {
    const cwd = await tempDir()
    await writeFile(join(cwd, '.env'), 'OTHER=1\nSTRIPE_SECRET_KEY=sk_test_from_dotenv\n')
    const run = await runCli(['prices', 'seed', '--api-base', emulator().url], {cwd})
    expect(run.code).toBe(0)
  })

  it('--stripe-cli-profile alone takes the key `stripe login` saved in [default], and only then', async () => {
    const cwd = await tempDir()
    await mkdir(join(cwd, '.config', 'stripe'), {recursive: true})
    await writeFile(
      join(cwd, '.config', 'stripe', 'config.toml'),
      '[default]\ntest_mode_api_key = "rk_test_51FromStripeLogin7777"\ntest_mode_key_expires_at = "2999-01-01"\n',
    )
    // runCli sets HOME to cwd: this is where the Stripe CLI would have written its config.
    const run = await runCli(['prices', 'seed', '--api-base', emulator().url, '--stripe-cli-profile', '--json'], {cwd})
    expect(run.code, run.stdout).toBe(0)
    const without = await runCli(['prices', 'seed', '--api-base', emulator().url], {cwd})
    expect(without.code).toBe(2)
    expect(errorLine(without.stderr)).toMatch(/^Error: No Stripe key/)
  })

  it('without a key: exit 2 (a usage error), says where keys are read from, writes nothing', async () => {
    const cwd = await tempDir()
    const run = await runCli(['prices', 'seed'], {cwd})
    expect(run.code).toBe(2)
    expect(errorLine(run.stderr)).toBe(
      'Error: No Stripe key; looked, in order, at: --api-key, STRIPE_SECRET_KEY, STRIPE_API_KEY, STRIPE_SECRET_KEY in ./.env (no such file), STRIPE_API_KEY in ./.env (no such file) ' +
        'Try this: Pass --api-key sk_test_…, or --stripe-cli-profile for the key `stripe login` saved. Without a Stripe account, try the local emulator: `stripe-seed emulator`, then --api-base http://127.0.0.1:12111',
    )
    expect(await readdir(cwd)).toEqual([])
  })

  it('refuses a live key before sending any request, and never prints it', async () => {
    const stub = await stubServer(200, {})
    try {
      const cwd = await tempDir()
      const key = 'sk_live_51SecretLiveKeyValue9876'
      const run = await runCli(['prices', 'seed', '--api-base', stub.url, '--api-key', key], {cwd})
      expect(run.code).toBe(2)
      expect(errorLine(run.stderr)).toContain('Refusing the live key sk_live_…9876')
      expect(run.stdout + run.stderr).not.toContain(key)
      expect(stub.requests).toHaveLength(0)
      expect(await readdir(cwd)).toEqual([])
    } finally {
      await stub.close()
    }
  })

  it('a rejected key (401): exit 1, names the masked key, writes nothing', async () => {
    const stub = await stubServer(401, {
      error: {type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****1234'},
    })
    try {
      const cwd = await tempDir()
      const run = await runCli(['prices', 'seed', '--api-base', stub.url, '--api-key', 'sk_test_secretpart1234'], {cwd})
      expect(run.code).toBe(1)
      expect(errorLine(run.stderr)).toMatch(/^Error: Stripe rejected the API key sk_test_…1234 \(401\)/)
      expect(run.stdout + run.stderr).not.toContain('secretpart')
      expect(stub.requests[0]?.authorization).toBe('Bearer sk_test_secretpart1234')
      expect(await readdir(cwd)).toEqual([])
    } finally {
      await stub.close()
    }
  })

  it('an unreachable host: exit 1 with a hint about --api-base', async () => {
    const stub = await stubServer(200, {})
    await stub.close() // a port nothing listens on any more
    const cwd = await tempDir()
    const run = await runCli(['prices', 'seed', '--api-base', stub.url, '--api-key', 'sk_test_x'], {cwd})
    expect(run.code).toBe(1)
    expect(errorLine(run.stderr)).toContain(`Cannot reach the Stripe API at ${stub.url}`)
    expect(run.stderr).toContain('--api-base')
    expect(await readdir(cwd)).toEqual([])
  })

  it('an invalid config file: exit 2 (a usage error) naming the file and the field', async () => {
    const cwd = await tempDir()
    await writeFile(
      join(cwd, '.stripe-seedrc.json'),
      JSON.stringify({plans: [{key: 'x', name: 'X', unitAmount: 'ten', screens: {min: 1, max: 2}, customers: 1}]}),
    )
    const run = await runCli(['prices', 'seed', '--api-key', 'sk_test_x', '--api-base', emulator().url], {cwd})
    expect(run.code).toBe(2)
    expect(errorLine(run.stderr)).toMatch(
      new RegExp(
        `Invalid config in ${join(cwd, '.stripe-seedrc.json').replaceAll('/', '\\/')}: plans\\.0\\.unitAmount: .*expected number`,
      ),
    )
  })

  it('a JS config with a syntax error: exit 2 naming the file and the SyntaxError, not a loader error', async () => {
    const cwd = await tempDir()
    await writeFile(join(cwd, 'stripe-seed.config.mjs'), 'export default {customers: 10,,}\n')
    const run = await runCli(['prices', 'seed', '--api-key', 'sk_test_x', '--api-base', emulator().url], {cwd})
    expect(run.code).toBe(2)
    expect(errorLine(run.stderr)).toBe(
      `Error: Cannot read config ${join(cwd, 'stripe-seed.config.mjs')}: SyntaxError: Unexpected token ','`,
    )
  })

  it('an unwritable out-dir: exit 1, and no temporary file is left behind', async () => {
    if (process.getuid?.() === 0) {
      // root ignores permissions: make the out-dir path a file instead, which nobody can write into.
      const cwd = await tempDir()
      await writeFile(join(cwd, 'blocked'), 'not a directory')
      const run = await runCli(
        ['prices', 'seed', '--out-dir', 'blocked/config', '--api-key', 'sk_test_x', '--api-base', emulator().url],
        {cwd},
      )
      expect(run.code).toBe(1)
      // The out-dir is checked before any request (issue 18 item 5), as run generate does.
      expect(errorLine(run.stderr)).toMatch(/The out-dir .*blocked\/config is not writable/)
      expect((await readdir(cwd)).sort()).toEqual(['blocked'])
      return
    }
    const cwd = await tempDir()
    await mkdir(join(cwd, 'ro'))
    await chmod(join(cwd, 'ro'), 0o500)
    const run = await runCli(
      ['prices', 'seed', '--out-dir', 'ro', '--api-key', 'sk_test_x', '--api-base', emulator().url],
      {cwd},
    )
    expect(run.code).toBe(1)
    expect(errorLine(run.stderr)).toMatch(/The out-dir .*ro is not writable/)
    expect(await readdir(join(cwd, 'ro'))).toEqual([])
  })

  it('bad flags are usage errors: exit 2', async () => {
    const cwd = await tempDir()
    expect((await runCli(['prices', 'seed', '--nope'], {cwd})).code).toBe(2)
    expect((await runCli(['prices', 'seed', '--api-key', 'pk_test_abc'], {cwd})).code).toBe(2)
    expect((await runCli(['prices', 'seed', '--api-key', 'sk_test_x', '--api-base', 'not a url'], {cwd})).code).toBe(2)
  })
})
