import {afterEach, describe, expect, it, vi} from 'vitest'

import type {GenerateResult} from '../../src/run/generate.js'
import {RunProgress} from '../../src/run/progress.js'
import {renderRunResult} from '../../src/run/result-view.js'
import {buildRunTasks} from '../../src/run/tasks.js'

afterEach(() => {
  vi.restoreAllMocks()
})

/** The plain-lines view (a pipe, CI) of a run driven by `drive`, as stderr shows it. */
async function viewOf(drive: (progress: RunProgress) => void): Promise<string> {
  let stderr = ''
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString()
    return true
  })
  const progress = new RunProgress()
  const view = buildRunTasks(progress, 'simple', () => ({sent: 40, retries: 0}))
    .run()
    .catch(() => {})
  progress.start('preflight')
  progress.finish('preflight')
  progress.plan(3, 2, 10)
  drive(progress)
  progress.end()
  await view
  return stderr
}

describe('the run view', () => {
  it('a stopped run is neither ticked nor failed: what was done, and that nothing was written', async () => {
    const stderr = await viewOf((progress) => {
      progress.start('cleanup')
      progress.finish('cleanup')
      // Both clocks created, both through month 1, one through month 2: then Ctrl-C.
      for (const phase of ['create', 'create', 'month 1', 'month 1', 'month 2']) progress.tick(phase)
      progress.stop()
    })
    expect(stderr).toContain('✔ create')
    expect(stderr).toContain('↓ months [SKIPPED: 1/3 complete when stopped]')
    expect(stderr).toContain('↓ save [SKIPPED: nothing written: the earlier files are as they were]')
    expect(stderr).toContain('↓ run [SKIPPED: stopped before its end; the journal holds every step done]')
    expect(stderr).not.toContain('✖')
    expect(stderr).not.toContain('✔ run')
    expect(stderr).not.toContain('cause below')
  })

  it('a run that ends is ticked', async () => {
    const stderr = await viewOf((progress) => {
      progress.start('cleanup')
      progress.finish('cleanup')
      for (const phase of ['create', 'month 1', 'month 2', 'month 3']) {
        progress.tick(phase)
        progress.tick(phase)
      }
      progress.start('save')
      progress.finish('save')
    })
    expect(stderr).toMatch(/✔ save/)
    expect(stderr).toMatch(/✔ run/)
  })
})

const interrupted: GenerateResult & {resumeCommand: string} = {
  runId: 'r1',
  seed: 1,
  status: 'interrupted',
  resumed: false,
  customers: 0,
  clocks: 0,
  failedClocks: [],
  eventsApplied: 4,
  pastDue: 0,
  canceled: 0,
  mrrByMonth: [],
  requests: {total: 300, retries: 0, rateLimited: 0},
  cleanup: {deleted: 0, failed: 0},
  wallTimeSeconds: 12,
  reached: {
    planned: {customers: 60, clocks: 20, months: 6},
    created: {customers: 60, clocks: 20},
    months: {fewest: 2, most: 3},
  },
  files: [],
  resumeCommand: 'stripe-seed run generate --resume r1',
}

describe('the run summary', () => {
  it('an interrupted run says what was done and what is left, not "0 customers on 0 complete clocks"', () => {
    const text = renderRunResult(interrupted)
    expect(text).toContain('INTERRUPTED')
    expect(text).toContain(
      '  done           60 of 60 customers on 20 of 20 clocks created · months 2–3 of 6 read back, by clock',
    )
    expect(text).toContain('  left           months 3–6, then the files (resume to continue)')
    expect(text).toContain('  resume with    stripe-seed run generate --resume r1')
    expect(text).not.toContain('complete clock')

    const early = renderRunResult({
      ...interrupted,
      reached: {...interrupted.reached, created: {customers: 8, clocks: 3}, months: {fewest: 0, most: 0}},
    })
    expect(early).toContain('  done           8 of 60 customers on 3 of 20 clocks created\n')
    expect(early).toContain('  left           52 customers to create, then months 1–6, then the files')
  })
})

describe('the run summary in the one money format', () => {
  it("shows the first and last month's MRR with the currency's symbol and thousands separators", () => {
    const complete = {
      ...interrupted,
      status: 'complete' as const,
      customers: 20,
      clocks: 7,
      mrrByMonth: [
        {month: '2026-06', mrrCents: 1_030_500, subscriptions: 20},
        {month: '2026-12', mrrCents: 1_104_000, subscriptions: 18},
      ],
    }
    expect(renderRunResult(complete)).toContain('  MRR            2026-06 $10,305.00 → 2026-12 $11,040.00\n')
    expect(renderRunResult(complete, 'eur')).toContain('  MRR            2026-06 €10,305.00 → 2026-12 €11,040.00\n')
  })
})
