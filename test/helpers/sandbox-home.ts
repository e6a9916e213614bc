import {mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import {homedir, tmpdir, userInfo} from 'node:os'
import {join} from 'node:path'

/**
 * vitest globalSetup: the suite runs with HOME and the XDG directories in a temporary directory
 * (workers and the CLI processes they start inherit them), and fails if it changed the user's own
 * stripe-seed directories anyway, as a spawned process with no HOME of its own would
 * (`~/.config/stripe-seed/webhook-secret`, issue 18).
 */

/** Where stripe-seed (oclif's configDir, dataDir, cacheDir) and the Stripe CLI keep files for a user. */
const WATCHED = ['.config/stripe-seed', '.local/share/stripe-seed', '.cache/stripe-seed', '.config/stripe']

/** Every file and directory under `dir` with its size and mtime: what a write would change. */
export function listing(dir: string): string[] {
  let entries
  try {
    entries = readdirSync(dir, {recursive: true, withFileTypes: true})
  } catch {
    return []
  }
  const found = entries
    .map((entry) => {
      const path = join(entry.parentPath, entry.name)
      try {
        const stat = statSync(path)
        return `${path} ${stat.size} ${stat.mtimeMs}`
      } catch {
        return path
      }
    })
    .sort()
  return [`${dir}/`, ...found] // the directory itself: creating it empty is a write too
}

/** The user's real home directories: $HOME and the password database's, when they differ. */
export function realHomes(env: NodeJS.ProcessEnv = process.env): string[] {
  const homes = new Set<string>()
  if (env.HOME) homes.add(env.HOME)
  homes.add(homedir())
  try {
    homes.add(userInfo().homedir)
  } catch {
    // no password entry: $HOME is all there is
  }
  return [...homes]
}

export function snapshotHomes(homes: string[]): Map<string, string[]> {
  return new Map(homes.flatMap((home) => WATCHED.map((sub) => [join(home, sub), listing(join(home, sub))])))
}

/** The watched directories whose contents differ, each with what changed. */
export function changedDirs(before: Map<string, string[]>, after: Map<string, string[]>): string[] {
  const changes: string[] = []
  for (const [dir, entries] of before) {
    const now = after.get(dir) ?? []
    const added = now.filter((entry) => !entries.includes(entry))
    const removed = entries.filter((entry) => !now.includes(entry))
    if (added.length > 0 || removed.length > 0)
      changes.push(`${dir}: ${[...added.map((e) => `+ ${e}`), ...removed.map((e) => `- ${e}`)].join(', ')}`)
  }
  return changes
}

export default function setup(): () => void {
  const homes = realHomes()
  const before = snapshotHomes(homes)
  const sandbox = mkdtempSync(join(tmpdir(), 'stripe-seed-test-home-'))
  const home = process.env.HOME ?? homedir()
  Object.assign(process.env, {
    // npm (the package test packs and installs) keeps the user's registry settings and cache.
    npm_config_userconfig: process.env.npm_config_userconfig ?? join(home, '.npmrc'),
    npm_config_cache: process.env.npm_config_cache ?? join(home, '.npm'),
    HOME: sandbox,
    XDG_CONFIG_HOME: join(sandbox, '.config'),
    XDG_DATA_HOME: join(sandbox, '.local', 'share'),
    XDG_CACHE_HOME: join(sandbox, '.cache'),
    // The oclif CLI (build, docs) checks npm for a newer version of itself and says so: noise in test output.
    OCLIF_SKIP_NEW_VERSION_CHECK: 'true',
    STRIPE_SEED_TEST_SANDBOX_HOME: sandbox,
  })
  return () => {
    rmSync(sandbox, {recursive: true, force: true})
    const changes = changedDirs(before, snapshotHomes(homes))
    if (changes.length === 0) return
    // vitest reports an error thrown here but still exits 0: set the exit code as well.
    process.exitCode = 1
    throw new Error(`The test suite wrote into the user's home; tests must use temp dirs:\n${changes.join('\n')}`)
  }
}
