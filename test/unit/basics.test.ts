import {mkdir, readFile, readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {z} from 'zod'

import {withOptionalValue} from '../../src/base-command.js'
import {addIntervals, monthLabel, simulationStart} from '../../src/billing-time.js'
import {loadConfig} from '../../src/config/load.js'
import {DEFAULT_PLANS, defaultConfig} from '../../src/config/schema.js'
import {jsonChunks, readJsonFile, writeJsonFile} from '../../src/files/atomic.js'
import {BugError} from '../../src/errors.js'
import {SnapshotsFileSchema} from '../../src/files/formats.js'
import {RunProgress} from '../../src/run/progress.js'
import {plural} from '../../src/render/plural.js'
import {chooseRenderer, monthsLine, statusLine} from '../../src/run/tasks.js'
import {maskKey, resolveApiKey} from '../../src/secrets.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
const at = (iso: string) => Date.parse(iso) / 1000

describe('billing time', () => {
  it('keeps the anchor day and clamps it to shorter months, always from the anchor', () => {
    const jan31 = at('2026-01-31T10:00:00Z')
    expect(new Date(addIntervals(jan31, 'month', 1) * 1000).toISOString()).toBe('2026-02-28T10:00:00.000Z')
    expect(new Date(addIntervals(jan31, 'month', 2) * 1000).toISOString()).toBe('2026-03-31T10:00:00.000Z')
    expect(new Date(addIntervals(at('2024-01-31T00:00:00Z'), 'month', 1) * 1000).toISOString()).toBe(
      '2024-02-29T00:00:00.000Z',
    )
    expect(new Date(addIntervals(at('2026-11-15T00:00:00Z'), 'month', 3) * 1000).toISOString()).toBe(
      '2027-02-15T00:00:00.000Z',
    )
    expect(addIntervals(jan31, 'week', 2) - jan31).toBe(14 * 86_400)
    expect(new Date(addIntervals(at('2024-02-29T00:00:00Z'), 'year', 1) * 1000).toISOString()).toBe(
      '2025-02-28T00:00:00.000Z',
    )
  })

  it('starts the simulation on the 1st of the month, M months back, so no anchor is ever clamped', () => {
    expect(new Date(simulationStart(new Date('2026-11-24T23:00:00Z'), 6) * 1000).toISOString()).toBe(
      '2026-05-01T00:00:00.000Z',
    )
    expect(new Date(simulationStart(new Date('2026-03-02T00:00:00Z'), 24) * 1000).toISOString()).toBe(
      '2024-03-01T00:00:00.000Z',
    )
    expect(monthLabel(at('2026-05-01T02:00:00Z'))).toBe('2026-05')
  })
})

describe('secrets', () => {
  it('reads the key from the flag, then STRIPE_SECRET_KEY, STRIPE_API_KEY, then both in .env; never loads .env into the process', async () => {
    const cwd = await tempDir()
    await writeFile(join(cwd, '.env'), 'STRIPE_API_KEY=sk_test_dotenv_api\nSTRIPE_SECRET_KEY=sk_test_dotenv\nLEAK=1\n')
    const env = {STRIPE_SECRET_KEY: 'sk_test_env', STRIPE_API_KEY: 'sk_test_env_api'}
    expect(resolveApiKey({apiKey: 'sk_test_flag'}, env, cwd)).toEqual({key: 'sk_test_flag', source: '--api-key'})
    expect(resolveApiKey({}, env, cwd)).toEqual({key: 'sk_test_env', source: 'STRIPE_SECRET_KEY'})
    expect(resolveApiKey({}, {STRIPE_API_KEY: 'sk_test_env_api', STRIPE_SECRET_KEY: ''}, cwd)).toEqual({
      key: 'sk_test_env_api',
      source: 'STRIPE_API_KEY',
    })
    expect(resolveApiKey({}, {}, cwd)).toEqual({key: 'sk_test_dotenv', source: 'STRIPE_SECRET_KEY in ./.env'})
    await writeFile(join(cwd, '.env'), 'STRIPE_API_KEY=sk_test_dotenv_api\n')
    expect(resolveApiKey({}, {}, cwd)).toEqual({key: 'sk_test_dotenv_api', source: 'STRIPE_API_KEY in ./.env'})
    expect(process.env.LEAK).toBeUndefined()
  })

  it('without a key, names every place it looked, in order', async () => {
    const cwd = await tempDir()
    expect(() => resolveApiKey({}, {}, cwd)).toThrow(
      'No Stripe key; looked, in order, at: --api-key, STRIPE_SECRET_KEY, STRIPE_API_KEY, STRIPE_SECRET_KEY in ./.env (no such file), STRIPE_API_KEY in ./.env (no such file)',
    )
    await writeFile(join(cwd, '.env'), 'OTHER=1\n')
    expect(() => resolveApiKey({}, {}, cwd)).toThrow(
      /at: --api-key, STRIPE_SECRET_KEY, STRIPE_API_KEY, STRIPE_SECRET_KEY in \.\/\.env, STRIPE_API_KEY in \.\/\.env$/,
    )
  })

  it('refuses live and publishable keys, and masks keys to prefix and last 4', () => {
    expect(() => resolveApiKey({apiKey: 'rk_live_abcdef'}, {}, '/')).toThrow(/Refusing the live key rk_live_…cdef/)
    expect(() => resolveApiKey({apiKey: 'pk_test_abcdef'}, {}, '/')).toThrow(/publishable key/)
    expect(() => resolveApiKey({apiKey: 'hello'}, {}, '/')).toThrow(/not a Stripe test-mode secret key/)
    expect(() => resolveApiKey({}, {STRIPE_API_KEY: 'sk_live_abcdef'}, '/')).toThrow(
      /Refusing the live key sk_live_…cdef from STRIPE_API_KEY/,
    )
    expect(maskKey('sk_test_51Habcdefghijkl9876')).toBe('sk_test_…9876')
    expect(resolveApiKey({apiKey: 'rk_test_restricted'}, {}, '/').key).toBe('rk_test_restricted')
  })
})

describe("the Stripe CLI's key (--stripe-cli-profile)", () => {
  const today = new Date('2026-11-25T12:00:00Z')
  const v1 = `color = "auto"

[default]
  device_name = "laptop"
  display_name = "Acme"
  test_mode_api_key = "rk_test_51DefaultKey1111"
  test_mode_key_expires_at = "2027-02-23"
  test_mode_pub_key = "pk_test_51DefaultPub"

[acme-staging]
  test_mode_api_key = "rk_test_51StagingKey2222"
  test_mode_key_expires_at = "2026-11-25"
`

  async function home(configToml: string, where: 'xdg' | 'home') {
    const dir = await tempDir()
    const configDir = where === 'xdg' ? join(dir, 'xdg', 'stripe') : join(dir, '.config', 'stripe')
    await mkdir(configDir, {recursive: true})
    await writeFile(join(configDir, 'config.toml'), configToml)
    return where === 'xdg' ? {HOME: join(dir, 'elsewhere'), XDG_CONFIG_HOME: join(dir, 'xdg')} : {HOME: dir}
  }

  it('reads test_mode_api_key of [default] or a named project, from $XDG_CONFIG_HOME or ~/.config', async () => {
    const xdg = await home(v1, 'xdg')
    expect(resolveApiKey({stripeCliProfile: 'default'}, xdg, '/', today)).toEqual({
      key: 'rk_test_51DefaultKey1111',
      source: `the Stripe CLI profile "default" (${join(xdg.XDG_CONFIG_HOME!, 'stripe', 'config.toml')})`,
    })
    expect(resolveApiKey({stripeCliProfile: 'acme-staging'}, xdg, '/', today).key).toBe('rk_test_51StagingKey2222')
    const plain = await home(v1, 'home')
    expect(resolveApiKey({stripeCliProfile: 'default'}, plain, '/', today).key).toBe('rk_test_51DefaultKey1111')
  })

  it("reads the CLI's newer layout too: config_version = 2, profiles under [profiles.NAME]", async () => {
    const env = await home(
      'config_version = 2\n\n[profiles.default]\ntest_mode_api_key = "rk_test_51NestedKey3333"\n',
      'home',
    )
    expect(resolveApiKey({stripeCliProfile: 'default'}, env, '/', today).key).toBe('rk_test_51NestedKey3333')
  })

  it('only on the flag: a saved key is never picked up silently, and the flag looks nowhere else', async () => {
    const env = await home(v1, 'home')
    expect(() => resolveApiKey({}, env, env.HOME)).toThrow(/^No Stripe key/)
    expect(() =>
      resolveApiKey({stripeCliProfile: 'nope'}, {...env, STRIPE_SECRET_KEY: 'sk_test_env'}, env.HOME, today),
    ).toThrow(
      `--stripe-cli-profile: no profile "nope" in ${join(env.HOME, '.config', 'stripe', 'config.toml')}; it has "default", "acme-staging"`,
    )
  })

  it('says what is wrong: no config, a TOML syntax error (line, column, reason), no key, an expired key, a live key', async () => {
    const none = await tempDir()
    expect(() => resolveApiKey({stripeCliProfile: 'default'}, {HOME: none}, '/', today)).toThrow(
      `--stripe-cli-profile: no Stripe CLI config at ${join(none, '.config', 'stripe', 'config.toml')}`,
    )
    const broken = await home('[default]\ntest_mode_api_key = "rk_test_x\n', 'home')
    expect(() => resolveApiKey({stripeCliProfile: 'default'}, broken, '/', today)).toThrow(
      /is not valid TOML: line 2, column \d+: \w+/,
    )
    const keyless = await home('[default]\ndisplay_name = "Acme"\n', 'home')
    expect(() => resolveApiKey({stripeCliProfile: 'default'}, keyless, '/', today)).toThrow(
      /the Stripe CLI profile "default" .* has no test_mode_api_key/,
    )
    const expired = await home(v1, 'home')
    expect(() =>
      resolveApiKey({stripeCliProfile: 'acme-staging'}, expired, '/', new Date('2026-11-26T00:00:00Z')),
    ).toThrow(/expired on 2026-11-25/)
    const live = await home('[default]\ntest_mode_api_key = "sk_live_51Oops4444"\n', 'home')
    expect(() => resolveApiKey({stripeCliProfile: 'default'}, live, '/', today)).toThrow(
      /Refusing the live key sk_live_…4444 from the Stripe CLI profile "default"/,
    )
  })

  it('a bare --stripe-cli-profile means "default"; a value or --flag=value is kept', () => {
    expect(withOptionalValue(['--stripe-cli-profile'], '--stripe-cli-profile', 'default')).toEqual([
      '--stripe-cli-profile',
      'default',
    ])
    expect(withOptionalValue(['--stripe-cli-profile', '--json'], '--stripe-cli-profile', 'default')).toEqual([
      '--stripe-cli-profile',
      'default',
      '--json',
    ])
    expect(withOptionalValue(['--stripe-cli-profile', 'acme', '--json'], '--stripe-cli-profile', 'default')).toEqual([
      '--stripe-cli-profile',
      'acme',
      '--json',
    ])
    expect(withOptionalValue(['--stripe-cli-profile=acme'], '--stripe-cli-profile', 'default')).toEqual([
      '--stripe-cli-profile=acme',
    ])
  })
})

describe('config', () => {
  it('defaults are the original tables', () => {
    const config = defaultConfig()
    expect(config.plans.map((p) => [p.key, p.name, p.unitAmount, p.screens.min, p.screens.max, p.customers])).toEqual([
      ['free', 'Free', 0, 1, 3, 25],
      ['standard', 'Standard', 1000, 2, 8, 18],
      ['pro_plus', 'Pro Plus', 1500, 5, 20, 32],
      ['engage', 'Engage', 3000, 8, 30, 15],
      ['enterprise', 'Enterprise', 4500, 25, 100, 10],
    ])
    expect(config).toMatchObject({
      customers: 100,
      months: 6,
      customersPerClock: 3,
      prorationBehavior: 'none',
      events: {upgrades: 15, downgrades: 2, cancellations: 8, pastDue: 5},
      scheduler: {perLaneRps: 4, maxInFlight: 10, maxRps: 20},
    })
  })

  it('finds the config in package.json, .stripe-seedrc.yaml or stripe-seed.config.mjs, and merges it over the defaults', async () => {
    const a = await tempDir()
    await writeFile(join(a, 'package.json'), JSON.stringify({name: 'x', 'stripe-seed': {months: 12}}))
    expect((await loadConfig({cwd: a})).config).toMatchObject({months: 12, customers: 100})
    const b = await tempDir()
    await writeFile(join(b, '.stripe-seedrc.yaml'), 'customers: 42\nscheduler:\n  maxRps: 10\n')
    const loaded = await loadConfig({cwd: b})
    expect(loaded.config).toMatchObject({customers: 42, scheduler: {maxRps: 10, perLaneRps: 4}})
    expect(loaded.filepath).toBe(join(b, '.stripe-seedrc.yaml'))
    const c = await tempDir()
    await writeFile(join(c, 'stripe-seed.config.mjs'), 'export default {customersPerClock: 2}\n')
    expect((await loadConfig({cwd: c})).config.customersPerClock).toBe(2)
  })

  it('names the file, the field path and the problem; an explicit --config that is missing is an error', async () => {
    const cwd = await tempDir()
    await writeFile(
      join(cwd, '.stripe-seedrc.json'),
      JSON.stringify({customersPerClock: 4, plans: [{...DEFAULT_PLANS[0], screens: {min: 5, max: 2}}], extra: 1}),
    )
    const error = (await loadConfig({cwd}).then(
      () => new Error('loaded'),
      (e: unknown) => e,
    )) as Error
    expect(error.message).toContain(`Invalid config in ${join(cwd, '.stripe-seedrc.json')}`)
    expect(error.message).toContain('customersPerClock: Too big')
    expect(error.message).toContain('plans.0.screens: min must not exceed max')
    expect(error.message).toMatch(/Unrecognized key.*"extra"/)
    await expect(loadConfig({cwd, explicitPath: 'nope.json'})).rejects.toThrow(
      `Config file not found: ${join(cwd, 'nope.json')}`,
    )
  })

  it('a syntax error names the file, line, column and reason: JSON, YAML, package.json', async () => {
    const cwd = await tempDir()
    const cases: Array<[string, string, string]> = [
      [
        '.stripe-seedrc.json',
        '{\n  "customers": 10,\n  "months": 6,,\n}\n',
        'line 3, column 15: Expected double-quoted property name',
      ],
      ['torn.json', '{"customers": 10', "line 1, column 17: Expected ',' or '}' after property value"],
      ['bad.yaml', 'customers: 10\n  months: 6\n', 'line 2, column 9: bad indentation of a mapping entry'],
    ]
    for (const [file, text, cause] of cases) {
      await writeFile(join(cwd, file), text)
      await expect(loadConfig({cwd, explicitPath: file})).rejects.toThrow(
        `Cannot read config ${join(cwd, file)}: ${cause}`,
      )
    }
    const withPackage = await tempDir()
    await writeFile(join(withPackage, 'package.json'), '{"name": "x",\n "stripe-seed": {,}}')
    await expect(loadConfig({cwd: withPackage})).rejects.toThrow(
      `Cannot read config ${join(withPackage, 'package.json')}: line 2, column 18: Expected property name or '}'`,
    )
  })

  it('refuses plans out of price order: an "upgrade" must never lower the price', async () => {
    const cwd = await tempDir()
    const [free, standard, proPlus] = DEFAULT_PLANS
    await writeFile(
      join(cwd, '.stripe-seedrc.json'),
      JSON.stringify({plans: [free, {...standard, unitAmount: 2000}, proPlus]}),
    )
    await expect(loadConfig({cwd})).rejects.toThrow(
      'plans.2: "pro_plus" (1500) is cheaper than "standard" (2000) listed before it: list plans cheapest first, as an upgrade moves one plan up',
    )
    await writeFile(
      join(cwd, '.stripe-seedrc.json'),
      JSON.stringify({plans: [free, standard, {...proPlus, unitAmount: 1000}]}),
    )
    expect((await loadConfig({cwd})).config.plans.map((plan) => plan.unitAmount)).toEqual([0, 1000, 1000])
  })

  it('refuses event counts the reference customers cannot carry', async () => {
    const cwd = await tempDir()
    await writeFile(
      join(cwd, '.stripe-seedrc.json'),
      JSON.stringify({events: {upgrades: 90, downgrades: 5, cancellations: 8, pastDue: 5}}),
    )
    await expect(loadConfig({cwd})).rejects.toThrow(/events: 108 events cannot fit on 100 reference customers/)
  })
})

describe('files', () => {
  it('writes atomically: the target holds the old or the new content, and no temp file is left', async () => {
    const dir = await tempDir()
    const file = join(dir, 'out', 'rows.json')
    await writeJsonFile(file, SnapshotsFileSchema, [])
    await writeJsonFile(file, SnapshotsFileSchema, [
      {
        month: '2026-01',
        customer_id: 'cus_1',
        subscription_id: 'sub_1',
        plan: 'standard',
        price_id: 'price_1',
        price_amount: 1000,
        screens: 3,
        mrr_cents: 3000,
        status: 'active',
      },
    ])
    expect(JSON.parse(await readFile(file, 'utf8'))).toHaveLength(1)
    expect(await readdir(join(dir, 'out'))).toEqual(['rows.json'])
    await expect(writeJsonFile(file, z.array(z.number()), ['x' as unknown as number])).rejects.toThrow(BugError)
    // Long arrays are checked item by item (no second copy at the save), and still refused at the first bad item.
    const long = Array.from({length: 1234}, (_, i) => i)
    long[900] = 'x' as unknown as number
    await expect(writeJsonFile(file, z.array(z.number()), long)).rejects.toThrow(/refusing to write .*\[900\]/)
    const file2 = z.object({rows: z.array(z.object({n: z.number()}).strict())}).strict()
    const rows = Array.from({length: 800}, (_, n) => ({n}))
    await expect(writeJsonFile(file, file2, {rows: [...rows, {n: 1, extra: 1} as {n: number}]})).rejects.toThrow(
      /rows\.\[800\]/,
    )
    await expect(writeJsonFile(file, file2, {rows, extra: 1} as {rows: Array<{n: number}>})).rejects.toThrow(
      /unknown key "extra"/,
    )
    expect(JSON.parse(await readFile(file, 'utf8'))).toHaveLength(1)
  })

  it('writes a large array in chunks, byte for byte what JSON.stringify(rows, null, 2) gives', async () => {
    const dir = await tempDir()
    for (const count of [1, 499, 500, 501, 1234]) {
      const rows = Array.from({length: count}, (_, i) => ({
        month: '2026-01',
        customer_id: `cus_${i}`,
        subscription_id: `sub_${i}`,
        plan: 'standard',
        price_id: 'price_1',
        price_amount: 1000,
        screens: 1 + (i % 7),
        mrr_cents: 1000 * (1 + (i % 7)),
        status: 'active' as const,
      }))
      await writeJsonFile(join(dir, 'rows.json'), SnapshotsFileSchema, rows)
      expect(await readFile(join(dir, 'rows.json'), 'utf8')).toBe(`${JSON.stringify(rows, null, 2)}\n`)
    }
  })

  it('writes any JSON value in pieces (large arrays, and objects holding them, like the ledger) with the bytes of JSON.stringify(value, null, 2)', () => {
    fc.assert(
      fc.property(fc.jsonValue({maxDepth: 4}), fc.integer({min: 1, max: 4}), (value, perChunk) => {
        expect([...jsonChunks(value, '', perChunk)].join('')).toBe(JSON.stringify(value, null, 2))
      }),
      {numRuns: 300},
    )
    // The ledger's shape: an object whose items array is split, not stringified whole.
    const ledger = {
      definitions: {discounts: 'forever'},
      months: ['2026-01'],
      items: Array.from({length: 7}, (_, i) => ({i, tags: [i]})),
      customers: [],
    }
    const pieces = [...jsonChunks(ledger, '', 2)]
    expect(pieces.length).toBeGreaterThan(4)
    expect(pieces.join('')).toBe(JSON.stringify(ledger, null, 2))
  })

  it('reads with a clear error naming the row and field, or saying what to run when missing', async () => {
    const dir = await tempDir()
    await expect(
      readJsonFile(join(dir, 'none.json'), SnapshotsFileSchema, {missingHint: 'run it first'}),
    ).rejects.toThrow(`${join(dir, 'none.json')} not found: run it first`)
    await mkdir(join(dir, 'x'))
    await writeFile(
      join(dir, 'x', 'bad.json'),
      JSON.stringify([
        {
          month: '2026-01',
          customer_id: 'c',
          subscription_id: 's',
          plan: 'p',
          price_id: 'pr',
          price_amount: 100,
          screens: 2,
          mrr_cents: 'lots',
          status: 'active',
        },
      ]),
    )
    await expect(readJsonFile(join(dir, 'x', 'bad.json'), SnapshotsFileSchema, {missingHint: ''})).rejects.toThrow(
      /malformed: row 0, field mrr_cents: .*expected number/,
    )
    await writeFile(join(dir, 'x', 'torn.json'), '[{"month": "2026-01"')
    await expect(
      readJsonFile(join(dir, 'x', 'torn.json'), SnapshotsFileSchema, {missingHint: 'regenerate'}),
    ).rejects.toThrow(/torn\.json is cut short \(.*\): regenerate$/)
    await writeFile(join(dir, 'x', 'garbage.json'), '[1, nope]')
    await expect(
      readJsonFile(join(dir, 'x', 'garbage.json'), SnapshotsFileSchema, {missingHint: 'regenerate'}),
    ).rejects.toThrow(/garbage\.json is not valid JSON/)
    await writeFile(join(dir, 'x', 'empty.json'), '\n')
    await expect(
      readJsonFile(join(dir, 'x', 'empty.json'), SnapshotsFileSchema, {missingHint: 'a', rewriteHint: 'rewrite it'}),
    ).rejects.toThrow(/empty\.json is empty: rewrite it$/)
  })
})

describe('progress renderer', () => {
  it('is plain lines on stderr under --json, live on a TTY, and plain lines in CI or without a TTY', () => {
    expect(chooseRenderer({json: true, isTTY: true, ci: false})).toBe('simple')
    expect(chooseRenderer({json: false, isTTY: true, ci: false})).toBe('default')
    expect(chooseRenderer({json: false, isTTY: true, ci: true})).toBe('simple')
    expect(chooseRenderer({json: false, isTTY: false, ci: false})).toBe('simple')
  })

  it('counts are pluralised, and the live months line fits 80 columns with 24 months under way', () => {
    expect([plural(1, 'clock'), plural(2, 'clock'), plural(1, 'retry', 'retries'), plural(1234, 'request')]).toEqual([
      '1 clock',
      '2 clocks',
      '1 retry',
      '1,234 requests',
    ])
    const progress = new RunProgress()
    progress.plan(24, 3334, 3600)
    for (let month = 1; month <= 24; month++)
      for (let clock = 0; clock < (month < 4 ? 3334 : 3333 - month * 100); clock++) progress.tick(`month ${month}`)
    const line = `  ❯ months · ${monthsLine(progress.phases.filter((phase) => phase.name.startsWith('month ')))}`
    expect(line).toMatch(/✔ 1–3 · 4 ▸ 2933\/3334 · 5 ▸ 2833\/3334 · 6 ▸ 2733\/3334 · \+18 more/)
    expect(line.length).toBeLessThanOrEqual(80)
    const status = `    ${statusLine(progress, {sent: 123_456, retries: 1234}, progress.startedAt + 5400_000)}`
    expect(status).toMatch(/^ {4}123,456 requests · 1,234 retries · 1h 30m elapsed · about \d+m \d+s left$/)
    expect(status.length).toBeLessThanOrEqual(80)
  })
})
