import {mkdir, readFile, readdir, utimes, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {earlierRuns, readCurrentRun} from '../../src/run/earlier-runs.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

describe('a damaged current_run.json (issue 18 item 6)', () => {
  it('is copied aside once, named by its modification time, with a warning naming both', async () => {
    const outDir = await tempDir()
    await mkdir(outDir, {recursive: true})
    const path = join(outDir, 'current_run.json')
    await writeFile(path, '{"run_id": 42}')
    await utimes(path, new Date('2026-12-08T01:02:03Z'), new Date('2026-12-08T01:02:03Z'))

    const first = await readCurrentRun(outDir)
    expect(first.run).toBeUndefined()
    expect(first.warning).toBe(
      `Warning: ${path} is damaged (run_timestamp: Invalid input: expected string, received undefined); kept a copy as current_run.json.corrupt-2026-12-08T01-02-03Z, going on without it`,
    )
    expect(await readFile(`${path}.corrupt-2026-12-08T01-02-03Z`, 'utf8')).toBe('{"run_id": 42}')

    // Cleanup's reader says it too, and the same damage is not copied again.
    const runs = await earlierRuns(outDir)
    expect(runs.warnings).toEqual([
      expect.stringContaining('a copy is kept as current_run.json.corrupt-2026-12-08T01-02-03Z'),
    ])
    expect((await readdir(outDir)).sort()).toEqual([
      'current_run.json',
      'current_run.json.corrupt-2026-12-08T01-02-03Z',
    ])
  })

  it('a missing one is no warning', async () => {
    expect(await readCurrentRun(await tempDir())).toEqual({})
  })
})
