import type {Reporter, TestModule} from 'vitest/node'

/**
 * Ends the output with the plain closing line any CI can read: `vitest: N passed, N failed`
 * (plus `, N skipped`). Vitest's own summary stays above it.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const count = (state: 'passed' | 'failed' | 'skipped') => testModules.reduce((sum, module) => sum + [...module.children.allTests(state)].length, 0)
    const skipped = count('skipped')
    process.stdout.write(`\nvitest: ${count('passed')} passed, ${count('failed')} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`)
  }
}
