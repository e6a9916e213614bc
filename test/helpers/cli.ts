import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const CLI = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

type CliOptions = {cwd: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number}

/** Runs the built CLI as a real process, as a user would, with a clean environment. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).done
}

/** Starts the CLI and hands back the process, for tests that signal or kill it mid-run. */
export function startCli(
  args: string[],
  options: CliOptions,
): {child: ChildProcessWithoutNullStreams; done: Promise<CliResult & {signal: NodeJS.Signals | null}>} {
  const env: Record<string, string> = {PATH: process.env.PATH ?? '', HOME: options.cwd, CI: '1', NO_COLOR: '1'}
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value
  const child = spawn(process.execPath, [CLI, ...args], {cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe']})
  const done = new Promise<CliResult & {signal: NodeJS.Signals | null}>((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`stripe-seed ${args.join(' ')} timed out\n${stderr}`))
    }, options.timeoutMs ?? 110_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stdout, stderr})
    })
    child.stdin.end(options.input ?? '')
  })
  return {child, done}
}

/** oclif wraps long error lines with a "›" gutter; this joins them back into the one-line cause. */
export function errorLine(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => line.trimStart().startsWith('›'))
    .map((line) => line.replace(/^\s*›\s{0,3}/, ''))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim()
}
