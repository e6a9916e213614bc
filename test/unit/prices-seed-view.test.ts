import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import PricesSeed from '../../src/commands/prices/seed.js'
import {useEmulator} from '../helpers/emulator.js'
import {runCommand} from '../helpers/in-process.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
const emulator = useEmulator()

describe("prices seed's tables, in the one money format (src/render/money.ts)", () => {
  const seed = async (...args: string[]) => {
    const out = join(await tempDir(), 'out')
    return runCommand(PricesSeed, ['--api-base', emulator().url, '--out-dir', out, ...args], {
      STRIPE_SECRET_KEY: 'sk_test_view',
    })
  }

  it('the plans: each price with its currency symbol and two decimals', async () => {
    const result = await seed()
    expect(result.exitCode, result.error?.message).toBe(0)
    expect(result.stdout).toMatch(/^Plan\s+Per screen\/mo\s+Product/)
    expect(result.stdout).toMatch(/\nFree\s+\$0\.00\s+stripe_seed_free\s/)
    expect(result.stdout).toMatch(/\nStandard\s+\$10\.00\s+stripe_seed_standard\s/)
    expect(result.stdout).toMatch(/\nEnterprise\s+\$45\.00\s+stripe_seed_enterprise\s/)
  })

  it("a scenario's catalog: every currency in the same format, never `10.00 EUR` beside `$10`", async () => {
    const result = await seed('--scenario', 'saas')
    expect(result.exitCode, result.error?.message).toBe(0)
    expect(result.stdout).toMatch(/\nStandard\s+monthly\s+\$10\.00\s/)
    expect(result.stdout).toMatch(/\nStandard\s+monthly\s+€\d+\.\d\d\s/)
    expect(result.stdout).toMatch(/\nStandard\s+yearly\s+\$\d{1,3}(,\d{3})*\.\d\d\s/)
    expect(result.stdout).not.toMatch(/\d (USD|EUR)\b/)
  })
})
