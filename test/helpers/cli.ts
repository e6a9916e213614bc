import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const CLI = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the built CLI as a real process, as a user would, with a clean environment. */
export function runCli(args: string[], options: {cwd: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {PATH: process.env.PATH ?? '', HOME: options.cwd, CI: '1', NO_COLOR: '1'}
    for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value
    const child = spawn(process.execPath, [CLI, ...args], {cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`stripe-seed ${args.join(' ')} timed out\n${stderr}`))
    }, options.timeoutMs ?? 110_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
    child.stdin.end(options.input ?? '')
  })
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
