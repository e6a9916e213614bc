import {rmdir, stat} from 'node:fs/promises'
import {dirname} from 'node:path'

import {UserError} from '../errors.js'
import type {HeldLock} from '../files/lock.js'
import {stateDir} from '../run/journal.js'
import {lockOutDir} from '../run/preflight.js'

/**
 * The out-dir check `run generate` makes, before any request: files can be created there and no
 * other live run holds it (a `run generate --seed-prices` writes the same stripe_prices.json). An
 * out-dir that is a file is said plainly, not as mkdir's EEXIST. Releasing it removes the
 * directories the check made that stayed empty, so a seed refused by Stripe leaves nothing behind.
 */
export async function claimPricesOutDir(outDir: string): Promise<HeldLock> {
  const kind = await stat(outDir).then(
    (stats) => (stats.isDirectory() ? 'directory' : 'file'),
    () => 'missing',
  )
  if (kind === 'file')
    throw new UserError(`The out-dir ${outDir} is a file, not a directory`, {
      suggestion: 'Pass --out-dir with a directory (it is created if absent).',
    })
  const made = [stateDir(outDir), ...(await missingDirs(outDir))]
  const removeEmpty = async () => {
    for (const dir of made) await rmdir(dir).catch(() => {})
  }
  let lock: HeldLock
  try {
    lock = await lockOutDir(outDir, 'prices seed')
  } catch (error) {
    await removeEmpty()
    throw error
  }
  return {
    ...lock,
    release: async () => {
      await lock.release()
      await removeEmpty()
    },
  }
}

/** `dir` and its ancestors that do not exist yet, deepest first. */
async function missingDirs(dir: string): Promise<string[]> {
  const missing: string[] = []
  for (let current = dir; ; current = dirname(current)) {
    const exists = await stat(current).then(
      () => true,
      () => false,
    )
    if (exists || dirname(current) === current) return missing
    missing.push(current)
  }
}
