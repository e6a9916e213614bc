import {execFile} from 'node:child_process'
import {readFile, readdir, writeFile} from 'node:fs/promises'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {useTempDirs} from '../helpers/tmp.js'

const exec = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const tempDir = useTempDirs()

async function commandIds(): Promise<string[]> {
  const dir = join(root, 'src', 'commands')
  const files = (await readdir(dir, {recursive: true})).filter((file) => file.endsWith('.ts'))
  return files.map((file) => relative(dir, join(dir, file)).replace(/\.ts$/, '').replace(/\/index$/, '').split('/').join(':')).sort()
}

describe('the package', () => {
  it('--help lists every topic and command', async () => {
    const run = await runCli(['--help'], {cwd: await tempDir()})
    expect(run.code).toBe(0)
    for (const topic of ['prices', 'run', 'clocks', 'snapshots']) expect(run.stdout).toMatch(new RegExp(`^\\s+${topic}\\s`, 'm'))
    expect(run.stdout).toMatch(/^\s+emulator\s/m)
    const runTopic = await runCli(['run', '--help'], {cwd: await tempDir()})
    expect(runTopic.stdout).toMatch(/run generate/)
    expect(runTopic.stdout).toMatch(/run verify/)
  })

  it('oclif.manifest.json lists exactly the commands in src/commands, each with --json', async () => {
    const manifest = JSON.parse(await readFile(join(root, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {flags: Record<string, unknown>}>}
    expect(Object.keys(manifest.commands).sort()).toEqual(await commandIds())
    for (const command of Object.values(manifest.commands)) expect(command.flags).toHaveProperty('json')
  })

  it('packs only what running needs, and the packed tarball runs with npx in an empty folder', async () => {
    const packDir = await tempDir()
    const {stdout} = await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], {cwd: root})
    const [packed] = JSON.parse(stdout) as Array<{filename: string; files: Array<{path: string}>}>
    const paths = packed!.files.map((file) => file.path)
    expect(paths).toContain('bin/run.js')
    expect(paths).toContain('oclif.manifest.json')
    expect(paths).toContain('dist/emulator/documented-params.json')
    expect(paths.filter((path) => /^(src|test|scripts)\/|\.map$|^bin\/dev\.js$/.test(path))).toEqual([])

    const app = await tempDir()
    await writeFile(join(app, 'package.json'), JSON.stringify({name: 'empty', version: '1.0.0', private: true}))
    await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(packDir, packed!.filename)], {cwd: app, timeout: 180_000})
    const {stdout: help} = await exec('npx', ['--no-install', 'stripe-seed', '--help'], {cwd: app})
    expect(help).toMatch(/USAGE\s+\$ stripe-seed \[COMMAND\]/)
    const {stdout: dryRun} = await exec('npx', ['--no-install', 'stripe-seed', 'run', 'generate', '--dry-run', '--customers', '10', '--seed', '1', '--json'], {cwd: app})
    expect((JSON.parse(dryRun) as {plan: {customers: unknown[]}}).plan.customers).toHaveLength(10)
  }, 240_000)
})
