import {mkdir, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {changedDirs, realHomes, snapshotHomes} from '../helpers/sandbox-home.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

describe('the test suite keeps out of the user home (issue 18)', () => {
  it('runs with HOME and the XDG dirs in its own temp dir, so config dirs resolve there', () => {
    const sandbox = process.env.STRIPE_SEED_TEST_SANDBOX_HOME
    expect(sandbox, 'vitest.config.ts globalSetup').toBeDefined()
    expect(homedir()).toBe(sandbox)
    expect(process.env.XDG_CONFIG_HOME).toBe(join(sandbox!, '.config'))
    expect(process.env.XDG_DATA_HOME).toBe(join(sandbox!, '.local', 'share'))
    expect(process.env.XDG_CACHE_HOME).toBe(join(sandbox!, '.cache'))
  })

  it("the globalSetup's check sees a file written under a home's stripe-seed config dir", async () => {
    const home = await tempDir()
    const before = snapshotHomes([home])
    expect(changedDirs(before, snapshotHomes([home]))).toEqual([])
    await mkdir(join(home, '.config', 'stripe-seed'), {recursive: true})
    await writeFile(join(home, '.config', 'stripe-seed', 'webhook-secret'), 'whsec_x\n')
    const changes = changedDirs(before, snapshotHomes([home]))
    expect(changes).toHaveLength(1)
    expect(changes[0]).toContain(join(home, '.config', 'stripe-seed', 'webhook-secret'))
    expect(realHomes({HOME: home})).toContain(home)
  })
})
