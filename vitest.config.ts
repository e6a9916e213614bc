import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // HOME and XDG dirs in a temp dir for the whole suite; fails the run if the user's own were written.
    globalSetup: ['./test/helpers/sandbox-home.ts'],
    // Integration tests run the built CLI against the emulator: seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
})
