import type {Reporter, SerializedError, TestModule} from 'vitest/node'

/**
 * Ends the output with the plain closing line any CI can read: `vitest: N passed, N failed`
 * (plus `, N skipped`). Vitest's own summary stays above it. A test file that fails before any of its
 * tests runs (an import error, a failing hook) and an unhandled error each count as one failure, so
 * the line can never read "0 failed" on a red run.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError> = []): void {
    const count = (state: 'passed' | 'failed' | 'skipped') =>
      testModules.reduce((sum, module) => sum + [...module.children.allTests(state)].length, 0)
    const brokenFiles = testModules.filter(
      (module) => module.state() === 'failed' && [...module.children.allTests('failed')].length === 0,
    ).length
    const failed = count('failed') + brokenFiles + unhandledErrors.length
    const skipped = count('skipped')
    process.stdout.write(
      `\nvitest: ${count('passed')} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`,
    )
  }
}
