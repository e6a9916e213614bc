import {type Command, Config, Help} from '@oclif/core'
import {readdir} from 'node:fs/promises'
import {join, relative} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {describe, expect, it, vi} from 'vitest'

import SnapshotsShow from '../../src/commands/snapshots/show.js'
import {runCommand} from '../helpers/in-process.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
const commandsDir = fileURLToPath(new URL('../../src/commands', import.meta.url))

/** Every command class in src/commands, by its oclif id. */
async function commands(): Promise<Map<string, Command.Class>> {
  const files = (await readdir(commandsDir, {recursive: true})).filter((file) => file.endsWith('.ts')).sort()
  const entries = await Promise.all(
    files.map(async (file) => {
      const module = (await import(pathToFileURL(join(commandsDir, file)).href)) as {default: Command.Class}
      return [
        relative(commandsDir, join(commandsDir, file)).replace(/\.ts$/, '').split('/').join(':'),
        module.default,
      ] as const
    }),
  )
  return new Map(entries)
}

/** oclif's help as `--help` prints it, without writing to the terminal. */
class WidthHelp extends Help {
  commandHelp(command: Command.Loadable): string {
    return this.formatCommand(command)
  }
}

const STRIPE = ['api-key', 'api-base']
const FILES = ['config', 'out-dir']

describe('commands', () => {
  it('show only the shared flags they use: snapshots show never calls Stripe, the emulator reads no files', async () => {
    const shared = [...STRIPE, ...FILES]
    const declared = Object.fromEntries(
      [...(await commands())].map(([id, command]) => [
        id,
        Object.keys(command.flags ?? {})
          .filter((flag) => shared.includes(flag))
          .sort(),
      ]),
    )
    expect(declared).toEqual({
      'clocks:cleanup': ['api-base', 'api-key', 'config', 'out-dir'], // its default scope is the out-dir's own runs
      emulator: [],
      'prices:seed': ['api-base', 'api-key', 'config', 'out-dir'],
      'run:generate': ['api-base', 'api-key', 'config', 'out-dir'],
      'run:verify': ['api-base', 'api-key', 'config', 'out-dir'],
      'snapshots:compare': ['out-dir'],
      'snapshots:export': ['out-dir'],
      'snapshots:report': ['out-dir'],
      'snapshots:show': ['out-dir'],
    })
  })

  it('fit their help in 80 columns, examples included (oclif wraps prose, never an example line)', async () => {
    // The built package's manifest, as a user's `stripe-seed <command> --help` reads it.
    const config = await Config.load(fileURLToPath(new URL('../..', import.meta.url)))
    const help = new WidthHelp(config, {maxWidth: 80, stripAnsi: true})
    const tooWide = config.commands.flatMap((command) =>
      help
        .commandHelp(command)
        .split('\n')
        .filter((line) => line.length > 80)
        .map((line) => `${command.id}: ${line}`),
    )
    expect(tooWide).toEqual([])
  })

  it('write help text unwrapped, so oclif wraps it once: a line break only ends a paragraph or starts a list item', async () => {
    for (const [id, command] of await commands()) {
      const texts = [
        command.summary,
        command.description,
        ...Object.values(command.flags ?? {}).map((flag) => flag.description),
      ]
      for (const text of texts.filter((t): t is string => t !== undefined)) {
        const stray = text.split('\n\n').flatMap((paragraph) =>
          paragraph
            .split('\n')
            .slice(1)
            .filter((line) => !line.startsWith('- ')),
        )
        expect(stray, `${id}: ${text}`).toEqual([])
      }
    }
  })

  it('contradictory flags are a usage error: --format csv --json exits 2, with a JSON body saying so', async () => {
    const cwd = await tempDir()
    const result = await runCommand(SnapshotsShow, ['--format', 'csv', '--json', '--out-dir', cwd])
    expect(result.exitCode).toBe(2)
    const body = JSON.parse(result.stdout) as {error: {message: string; exitCode: number; parse?: unknown}}
    expect(body.error).toEqual({name: 'UsageError', message: expect.any(String), exitCode: 2})
    expect(body.error.message).toMatch(/--json=true cannot also be provided when using --format/)
    expect(body.error).not.toHaveProperty('parse')
  })

  it("oclif's own usage errors exit 2 under --json too (unknown flag, bad value)", async () => {
    const cwd = await tempDir()
    for (const argv of [['--nope'], ['--format', 'xml']]) {
      const result = await runCommand(SnapshotsShow, [...argv, '--json', '--out-dir', cwd])
      expect(result.exitCode, argv.join(' ')).toBe(2)
      expect(JSON.parse(result.stdout)).toMatchObject({error: {exitCode: 2}})
    }
  })
})

describe('emulator command', () => {
  it('is a BaseCommand: a bad flag value is a usage error, exit 2 with --json, before anything listens', async () => {
    const {default: Emulator} = await import('../../src/commands/emulator.js')
    for (const argv of [
      ['--latency', 'abc'],
      ['--fault-rate', '2'],
      ['--port', '70000'],
    ]) {
      const warnings = vi.spyOn(process, 'emitWarning')
      const result = await runCommand(Emulator, [...argv, '--json'])
      expect(result.exitCode, argv.join(' ')).toBe(2)
      expect(JSON.parse(result.stdout)).toMatchObject({error: {exitCode: 2}})
      // A flag's own validation (--port's max) throws before parse returns: no oclif "did not parse" noise (issue 18 item 9).
      expect(warnings.mock.calls.map((call) => String(call[0]))).not.toContainEqual(
        expect.stringMatching(/did not parse/),
      )
      warnings.mockRestore()
    }
  })
})

describe('keys in usage errors', () => {
  it('a key where no argument goes is a usage error that never echoes the key, with or without --json', async () => {
    const {default: PricesSeed} = await import('../../src/commands/prices/seed.js')
    const cwd = await tempDir()
    for (const json of [[], ['--json']]) {
      const result = await runCommand(PricesSeed, ['--out-dir', cwd, 'sk_test_51SecretValue9876', ...json])
      expect(result.exitCode).toBe(2)
      const shown = result.stdout + result.stderr + (result.error?.message ?? '')
      expect(shown).toContain('sk_test_…9876')
      expect(shown).not.toContain('SecretValue')
    }
  })

  it('--api-key and --stripe-cli-profile together are a usage error naming the profile, not the key', async () => {
    const {default: RunVerify} = await import('../../src/commands/run/verify.js')
    const result = await runCommand(RunVerify, [
      '--api-key',
      'sk_test_51SecretValue9876',
      '--stripe-cli-profile',
      '--json',
    ])
    expect(result.exitCode).toBe(2)
    expect((JSON.parse(result.stdout) as {error: {message: string; name: string}}).error.message).toMatch(
      /--stripe-cli-profile=default cannot also be provided when using --api-key/,
    )
    expect(result.stdout).not.toContain('SecretValue')
  })
})
