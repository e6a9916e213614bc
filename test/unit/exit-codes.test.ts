import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import ClocksCleanup from '../../src/commands/clocks/cleanup.js'
import PricesSeed from '../../src/commands/prices/seed.js'
import RunGenerate from '../../src/commands/run/generate.js'
import {runCommand} from '../helpers/in-process.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
/** No key anywhere, and no API reachable: only the invocation is judged. */
const bare = {STRIPE_SECRET_KEY: undefined, STRIPE_API_KEY: undefined, STRIPE_API_BASE: 'http://127.0.0.1:9'}

/** docs/exit-codes.md: 2 when the invocation is wrong (flags, config, key, --resume), 1 when the command could not do its job. */
describe('exit codes: one rule for every command', () => {
  it('2: no key, a malformed key, a missing Stripe CLI profile, a bad or missing config file, a --resume with nothing to resume', async () => {
    const cwd = await tempDir()
    const outDir = join(cwd, 'out')
    const cases: Array<[string, Parameters<typeof runCommand>[0], string[], Record<string, string | undefined>]> = [
      ['no key', PricesSeed, ['--out-dir', outDir], {...bare, HOME: cwd}],
      ['malformed key', PricesSeed, ['--out-dir', outDir, '--api-key', 'sk_test_not a key'], bare],
      [
        'no Stripe CLI config',
        PricesSeed,
        ['--out-dir', outDir, '--stripe-cli-profile', 'x'],
        {...bare, HOME: cwd, XDG_CONFIG_HOME: cwd},
      ],
      ['config not found', PricesSeed, ['--out-dir', outDir, '--config', join(cwd, 'nope.json')], bare],
      ['nothing to resume', RunGenerate, ['--out-dir', outDir, '--resume', '--api-key', 'sk_test_x'], bare],
      ['unknown run to resume', RunGenerate, ['--out-dir', outDir, '--resume', 'r1', '--api-key', 'sk_test_x'], bare],
    ]
    await writeFile(join(cwd, 'bad.json'), '{"customers": "many"}')
    cases.push(['invalid config', ClocksCleanup, ['--out-dir', outDir, '--config', join(cwd, 'bad.json')], bare])
    for (const [name, command, argv, env] of cases) {
      const result = await runCommand(command, argv, env)
      expect({name, exit: result.exitCode}, result.error?.message).toEqual({name, exit: 2})
    }
  })

  it('1: the command could not do its job (the API unreachable, the out-dir a file)', async () => {
    const cwd = await tempDir()
    await mkdir(join(cwd, 'out'))
    const unreachable = await runCommand(PricesSeed, ['--out-dir', join(cwd, 'out'), '--api-key', 'sk_test_x'], bare)
    expect(unreachable.exitCode, unreachable.error?.message).toBe(1)
    await writeFile(join(cwd, 'file'), '')
    const file = await runCommand(RunGenerate, ['--out-dir', join(cwd, 'file'), '--api-key', 'sk_test_x'], bare)
    expect(file.exitCode, file.error?.message).toBe(1)
  })
})
