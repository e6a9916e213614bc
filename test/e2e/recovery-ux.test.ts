import {readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {errorLine, runCli} from '../helpers/cli.js'
import {stubServer} from '../helpers/stub-server.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

// Issue 18: what a new user hit when a command was stopped, or given a wrong place or file.
describe('recovery and plain refusals (built CLI, real process)', () => {
  it('prices seed into an out-dir that is a file: one plain line, exit 1, before any request (item 5)', async () => {
    const cwd = await tempDir()
    await writeFile(join(cwd, 'config'), 'a file where the out-dir should be')
    const stub = await stubServer(200, {object: 'list', data: [], has_more: false})
    try {
      const env = {STRIPE_SECRET_KEY: 'sk_test_outdir', STRIPE_API_BASE: stub.url}
      const run = await runCli(['prices', 'seed'], {cwd, env})
      expect(run.code).toBe(1)
      expect(errorLine(run.stderr)).toBe(
        `Error: The out-dir ${join(cwd, 'config')} is a file, not a directory Try this: Pass --out-dir with a directory (it is created if absent).`,
      )
      // Under a file: mkdir's ENOTDIR, still before any request.
      const nested = await runCli(['prices', 'seed', '--out-dir', 'config/prices'], {cwd, env})
      expect(nested.code).toBe(1)
      expect(errorLine(nested.stderr)).toMatch(/^Error: The out-dir .*config\/prices is not writable/)
      expect(stub.requests).toEqual([])
      expect(await readdir(cwd)).toEqual(['config'])
    } finally {
      await stub.close()
    }
  })
})
