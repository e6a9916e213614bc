import {execFile, spawn} from 'node:child_process'
import {readFile, readdir, writeFile} from 'node:fs/promises'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {describe, expect, it} from 'vitest'

import {CLI, runCli} from '../helpers/cli.js'
import {useTempDirs} from '../helpers/tmp.js'

const exec = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const tempDir = useTempDirs()

async function commandIds(): Promise<string[]> {
  const dir = join(root, 'src', 'commands')
  const files = (await readdir(dir, {recursive: true})).filter((file) => file.endsWith('.ts'))
  return files
    .map((file) =>
      relative(dir, join(dir, file))
        .replace(/\.ts$/, '')
        .replace(/\/index$/, '')
        .split('/')
        .join(':'),
    )
    .sort()
}

describe('the package', () => {
  it('--help lists every topic and command', async () => {
    const run = await runCli(['--help'], {cwd: await tempDir()})
    expect(run.code).toBe(0)
    for (const topic of ['prices', 'run', 'clocks', 'snapshots'])
      expect(run.stdout).toMatch(new RegExp(`^\\s+${topic}\\s`, 'm'))
    expect(run.stdout).toMatch(/^\s+emulator\s/m)
    const runTopic = await runCli(['run', '--help'], {cwd: await tempDir()})
    expect(runTopic.stdout).toMatch(/run generate/)
    expect(runTopic.stdout).toMatch(/run verify/)
  })

  it('oclif conventions: --version and -v, -h, and `help <command>` from plugin-help', async () => {
    const cwd = await tempDir()
    const {version} = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {version: string}
    for (const flag of ['--version', '-v']) {
      const run = await runCli([flag], {cwd})
      expect(run.code, flag).toBe(0)
      expect(run.stdout).toMatch(new RegExp(`^stripe-seed/${version.replaceAll('.', '\\.')} `))
    }
    const short = await runCli(['prices', 'seed', '-h'], {cwd})
    expect(short.code).toBe(0)
    expect(short.stdout).toMatch(/USAGE\s+\$ stripe-seed prices seed/)
    const help = await runCli(['help', 'prices', 'seed'], {cwd})
    expect(help.code).toBe(0)
    expect(help.stdout).toBe(short.stdout)
  })

  it('a mistyped command: plugin-not-found asks "Did you mean …?" at a terminal; without one it exits 127', async () => {
    const cwd = await tempDir()
    const plain = await runCli(['prices', 'sed'], {cwd})
    expect(plain.code).toBe(127)
    expect(plain.stderr).toContain('prices sed is not a stripe-seed command')
    // At a terminal (script(1) gives the CLI a pseudo-terminal) it offers the closest command, and "y" runs it.
    const tty = await new Promise<{code: number | null; stdout: string}>((resolve, reject) => {
      const child = spawn('script', ['-qec', `"${process.execPath}" "${CLI}" prices sed`, '/dev/null'], {
        cwd,
        env: {PATH: process.env.PATH, HOME: cwd, NO_COLOR: '1'},
        stdio: ['pipe', 'pipe', 'inherit'],
      })
      let stdout = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.on('error', reject)
      // eslint-disable-next-line no-control-regex -- strips ANSI colour codes, which start with ESC
      child.on('close', (code) => resolve({code, stdout: stdout.replaceAll(/\u001B\[[\d;?]*[A-Za-z]/g, '')}))
      child.stdin.end('y\r')
    })
    expect(tty.stdout).toMatch(/Did you mean prices seed\?/)
    expect(tty.stdout).toMatch(/No Stripe key/) // prices seed ran, and found no key
    expect(tty.code).toBe(2)
  })

  it("shell completion from plugin-autocomplete: bash completes commands and each command's own flags", async () => {
    const cwd = await tempDir()
    // What the README says to do: `autocomplete bash` builds the completions, `autocomplete script bash` is the line for ~/.bashrc.
    expect((await runCli(['autocomplete', 'bash'], {cwd})).code).toBe(0)
    const bashrc = await runCli(['autocomplete', 'script', 'bash'], {cwd})
    expect(bashrc.code).toBe(0)
    const complete = async (...words: string[]) => {
      const script = `${bashrc.stdout.trim()}\nCOMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _stripe-seed_autocomplete; echo "\${COMPREPLY[@]}"`
      // plugin-autocomplete offers a topic once per command under it; bash completes identical candidates as one.
      return [...new Set((await exec('bash', ['-c', script], {cwd})).stdout.trim().split(/\s+/))].sort()
    }
    expect(await complete('stripe-seed', 'snap')).toEqual(['snapshots'])
    expect(await complete('stripe-seed', 'snapshots', 'show', '--')).toEqual([
      '--format',
      '--json',
      '--month',
      '--out-dir',
    ])
    expect(await complete('stripe-seed', 'prices', 'seed', '--api')).toEqual(['--api-base', '--api-key'])
  })

  it('oclif.manifest.json lists exactly the commands in src/commands, each with --json', async () => {
    const manifest = JSON.parse(await readFile(join(root, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, {flags: Record<string, unknown>}>
    }
    expect(Object.keys(manifest.commands).sort()).toEqual(await commandIds())
    for (const command of Object.values(manifest.commands)) expect(command.flags).toHaveProperty('json')
  })

  it('is MIT-licensed, as package.json says, with the licence text in the repository', async () => {
    const {license} = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {license: string}
    expect(license).toBe('MIT')
    expect(await readFile(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /)
  })

  it('packs only what running needs, and the packed tarball runs with npx in an empty folder', async () => {
    const packDir = await tempDir()
    const {stdout} = await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], {
      cwd: root,
    })
    const [packed] = JSON.parse(stdout) as Array<{filename: string; files: Array<{path: string}>}>
    const paths = packed!.files.map((file) => file.path)
    expect(paths).toContain('bin/run.js')
    expect(paths).toContain('oclif.manifest.json')
    expect(paths).toContain('LICENSE')
    expect(paths).toContain('dist/emulator/stripe-contract.json')
    expect(paths.filter((path) => /^(src|test|scripts)\/|\.map$|^bin\/dev\.js$/.test(path))).toEqual([])

    const app = await tempDir()
    await writeFile(join(app, 'package.json'), JSON.stringify({name: 'empty', version: '1.0.0', private: true}))
    await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(packDir, packed!.filename)], {
      cwd: app,
      timeout: 180_000,
    })
    const {stdout: help} = await exec('npx', ['--no-install', 'stripe-seed', '--help'], {cwd: app})
    expect(help).toMatch(/USAGE\s+\$ stripe-seed \[COMMAND\]/)
    const {stdout: dryRun} = await exec(
      'npx',
      ['--no-install', 'stripe-seed', 'run', 'generate', '--dry-run', '--customers', '10', '--seed', '1', '--json'],
      {cwd: app},
    )
    expect((JSON.parse(dryRun) as {plan: {customers: unknown[]}}).plan.customers).toHaveLength(10)
  }, 240_000)
})
