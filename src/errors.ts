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
