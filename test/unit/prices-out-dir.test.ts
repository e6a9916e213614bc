import {readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {UserError} from '../../src/errors.js'
import {claimPricesOutDir} from '../../src/prices/out-dir.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

describe('claimPricesOutDir (issue 18 item 5)', () => {
  it('refuses an out-dir that is a file, plainly', async () => {
    const cwd = await tempDir()
    await writeFile(join(cwd, 'config'), 'x')
    const refused = await claimPricesOutDir(join(cwd, 'config')).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(UserError)
    expect((refused as UserError).message).toBe(`The out-dir ${join(cwd, 'config')} is a file, not a directory`)
  })

  it('holds the lock run generate takes, and a second claim is refused while it is held', async () => {
    const cwd = await tempDir()
    const lock = await claimPricesOutDir(join(cwd, 'config'))
    await expect(claimPricesOutDir(join(cwd, 'config'))).rejects.toThrow(/Another stripe-seed process .* prices seed/)
    await lock.release()
  })

  it('removes the directories it made when nothing was written there, and keeps those that got a file', async () => {
    const cwd = await tempDir()
    const failed = await claimPricesOutDir(join(cwd, 'a', 'config'))
    await failed.release()
    expect(await readdir(cwd)).toEqual([])

    const seeded = await claimPricesOutDir(join(cwd, 'config'))
    await writeFile(join(cwd, 'config', 'stripe_prices.json'), '{}')
    await seeded.release()
    expect(await readdir(join(cwd, 'config'))).toEqual(['stripe_prices.json'])
  })
})
