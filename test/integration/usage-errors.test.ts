import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {errorLine, runCli} from '../helpers/cli.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

describe('usage errors name the fix (built CLI, real process; docs/exit-codes.md)', () => {
  it('a mistyped flag: one line with the closest flag, then the usage line on stderr, exit 2', async () => {
    const cwd = await tempDir()
    const result = await runCli(['run', 'generate', '--customer', '100'], {cwd})
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    const lines = result.stderr.split('\n')
    expect(lines[0]).toBe(' ›   Error: Nonexistent flag --customer. Did you mean --customers?')
    expect(lines[1]).toBe('USAGE')
    expect(lines[2]).toMatch(/^ {2}\$ stripe-seed run generate /)
    // The usage, not the whole help: no flag descriptions.
    expect(result.stderr).not.toMatch(/FLAGS|See more help/)
  })

  it('a flag with no close match gets no guess; a key given to a mistyped flag is never echoed', async () => {
    const cwd = await tempDir()
    const far = await runCli(['snapshots', 'show', '--xyz'], {cwd})
    expect(far.code).toBe(2)
    expect(far.stderr.split('\n')[0]).toBe(' ›   Error: Nonexistent flag --xyz')
    const key = await runCli(['prices', 'seed', '--api-ky=sk_test_51SecretValue9876'], {cwd})
    expect(key.code).toBe(2)
    expect(key.stderr.split('\n')[0]).toBe(' ›   Error: Nonexistent flag --api-ky. Did you mean --api-key?')
    expect(key.stderr).not.toContain('SecretValue')
  })

  it('under --json: the cause, exit code and suggestion, without oclif internals, exit 2', async () => {
    const cwd = await tempDir()
    const result = await runCli(['run', 'generate', '--customer', '100', '--json'], {cwd})
    expect(result.code).toBe(2)
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        name: 'UsageError',
        message: 'Nonexistent flag --customer',
        exitCode: 2,
        suggestions: ['Did you mean --customers?'],
      },
    })
    expect(result.stdout).not.toMatch(/oclif|See more help/)
    const badValue = await runCli(['snapshots', 'show', '--format', 'xml', '--json', '--out-dir', cwd], {cwd})
    expect(badValue.code).toBe(2)
    expect(JSON.parse(badValue.stdout)).toEqual({
      error: {name: 'UsageError', message: 'Expected --format=xml to be one of: table, csv, json', exitCode: 2},
    })
  })

  it('a mistyped config key names the file and the closest key, exit 2, nested keys too', async () => {
    const cwd = await tempDir()
    const file = join(cwd, '.stripe-seedrc.json')
    await writeFile(file, JSON.stringify({custmers: 10}))
    const top = await runCli(['run', 'generate', '--dry-run'], {cwd})
    expect(top.code).toBe(2)
    expect(errorLine(top.stderr)).toBe(`Error: Unrecognized key "custmers" in ${file}; did you mean "customers"?`)

    await writeFile(file, JSON.stringify({scheduler: {maxrps: 3}}))
    const nested = await runCli(['run', 'generate', '--dry-run', '--json'], {cwd})
    expect(nested.code).toBe(2)
    expect(JSON.parse(nested.stdout)).toMatchObject({
      error: {
        name: 'UsageError',
        message: `Unrecognized key "maxrps" at scheduler in ${file}; did you mean "maxRps"?`,
        exitCode: 2,
      },
    })

    await writeFile(file, JSON.stringify({months: 0, plans: [{key: 'a', nmae: 'A'}]}))
    const several = await runCli(['run', 'generate', '--dry-run', '--json'], {cwd})
    expect(several.code).toBe(2)
    const {message} = (JSON.parse(several.stdout) as {error: {message: string}}).error
    expect(message).toMatch(new RegExp(`^Invalid config in ${file}: `))
    expect(message).toContain('plans.0: Unrecognized key "nmae" (did you mean "name"?)')
  })
})
