/**
 * A problem the user can fix (bad input, missing file, rejected key). Its message is one line,
 * shown without a stack trace. Anything else that escapes a command is a bug.
 */
export class UserError extends Error {
  readonly exitCode: number
  readonly suggestion?: string

  constructor(message: string, options: {exitCode?: number; suggestion?: string; cause?: unknown} = {}) {
    super(message, {cause: options.cause})
    this.name = 'UserError'
    this.exitCode = options.exitCode ?? 1
    this.suggestion = options.suggestion
  }
}

/** Wrong flags or arguments: exit code 2, as for every CLI usage error. */
export class UsageError extends UserError {
  constructor(message: string, options: {suggestion?: string} = {}) {
    super(message, {...options, exitCode: 2})
    this.name = 'UsageError'
  }
}

/** A run that finished but not completely (some clocks failed): exit code 3 so scripts can tell. */
export const PARTIAL_RUN_EXIT_CODE = 3

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Our own bug, not something the user can fix: shown with its stack, never as a failed clock or a
 * one-line user error. Throw it where an invariant breaks; the run aborts loudly.
 */
export class BugError extends Error {
  constructor(message: string, options: {cause?: unknown} = {}) {
    super(message, options)
    this.name = 'BugError'
  }
}

/** The run was told to stop (Ctrl-C, SIGTERM): no new request is started. Not a failure of a clock. */
export class RunInterrupted extends Error {
  constructor(readonly signal: 'SIGINT' | 'SIGTERM' = 'SIGINT') {
    super(`Interrupted by ${signal}`)
    this.name = 'RunInterrupted'
  }
}

/** A run that completed no clock: exit code 1, and the earlier files are left as they were. */
export const FAILED_RUN_EXIT_CODE = 1
/** Exit codes of a run stopped by a signal: 128 + the signal's number, as shells report it. */
export const SIGNAL_EXIT_CODES = {SIGINT: 130, SIGTERM: 143} as const
