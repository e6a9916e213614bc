import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {loadConfig} from '../../src/config/load.js'
import {UsageError} from '../../src/errors.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

async function refusal(cwd: string, explicitPath?: string): Promise<UsageError> {
  const error = await loadConfig({cwd, explicitPath}).catch((caught: unknown) => caught)
  expect(error).toBeInstanceOf(UsageError)
  return error as UsageError
}

describe('config files (issue 18 item 13)', () => {
  it('an empty file is refused naming it, given by --config or found', async () => {
    const cwd = await tempDir()
    await writeFile(join(cwd, 'given.yaml'), '')
    expect((await refusal(cwd, 'given.yaml')).message).toBe(`Config file ${join(cwd, 'given.yaml')} is empty`)
    const found = join(cwd, 'project')
    await mkdir(found)
    await writeFile(join(found, '.stripe-seedrc.json'), '')
    expect((await refusal(found)).message).toBe(`Config file ${join(found, '.stripe-seedrc.json')} is empty`)
    // An empty object is a choice: every default.
    await writeFile(join(cwd, 'defaults.json'), '{}')
    expect((await loadConfig({cwd, explicitPath: 'defaults.json'})).setInFile.size).toBe(0)
  })

  it('TOML is read, given or found, and its syntax errors say where', async () => {
    const cwd = await tempDir()
    await writeFile(join(cwd, 'seed.toml'), 'customers = 12\n\n[scheduler]\nmaxRps = 10\n')
    const given = await loadConfig({cwd, explicitPath: 'seed.toml'})
    expect(given.config.customers).toBe(12)
    expect(given.config.scheduler.maxRps).toBe(10)
    await writeFile(join(cwd, 'stripe-seed.config.toml'), 'months = 3\n')
    expect((await loadConfig({cwd})).config.months).toBe(3)
    await writeFile(join(cwd, 'bad.toml'), 'customers = 12\nmonths = [\n')
    expect((await refusal(cwd, 'bad.toml')).message).toMatch(/^Cannot read config .*bad\.toml: line \d+, column \d+: /)
  })

  it('an extension no loader reads lists the formats that are read', async () => {
    const cwd = await tempDir()
    await writeFile(join(cwd, 'seed.ini'), 'customers=1\n')
    expect((await refusal(cwd, 'seed.ini')).message).toBe(
      `Cannot read config ${join(cwd, 'seed.ini')}: .ini is not a config format stripe-seed reads (JSON, YAML, TOML or JavaScript: .json, .yaml, .yml, .toml, .js, .mjs, .cjs, or no extension for JSON or YAML)`,
    )
  })
})
