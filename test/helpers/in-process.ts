import {fileURLToPath} from 'node:url'
import {format} from 'node:util'
import {vi} from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))

export interface InProcessResult {
  stdout: string
  stderr: string
  exitCode: number
  error?: Error
}

/**
 * Runs a command class in this process (so nock and vi.mock apply), capturing its output and the
 * exit code oclif would use.
 */
export async function runCommand(
  command: {run: (argv: string[], root: string) => Promise<unknown>},
  argv: string[],
  env: Record<string, string | undefined> = {},
): Promise<InProcessResult> {
  let stdout = ''
  let stderr = ''
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString()
    return true
  })
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString()
    return true
  })
  // oclif writes through console.log / console.error, which the test runner would swallow.
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    stdout += `${format(...args)}\n`
  })
  const error = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    stderr += `${format(...args)}\n`
  })
  const saved = {...process.env}
  Object.assign(process.env, env)
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete process.env[key]
  const savedExitCode = process.exitCode
  process.exitCode = undefined
  try {
    await command.run(argv, root)
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- code may set exitCode to a string
    return {stdout, stderr, exitCode: Number(process.exitCode ?? 0)}
  } catch (thrown) {
    const exit = (thrown as {oclif?: {exit?: number}}).oclif?.exit ?? 1
    return {stdout, stderr, exitCode: exit, error: thrown as Error}
  } finally {
    out.mockRestore()
    err.mockRestore()
    log.mockRestore()
    error.mockRestore()
    process.env = saved
    process.exitCode = savedExitCode
  }
}
