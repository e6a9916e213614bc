import {readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {TomlError, parse as parseToml} from 'smol-toml'

import {UsageError} from './errors.js'

/**
 * The test-mode key the Stripe CLI saved on `stripe login`: a restricted key valid for 90 days
 * (https://docs.stripe.com/stripe-cli/keys), in `$XDG_CONFIG_HOME/stripe/config.toml`, else
 * `~/.config/stripe/config.toml`. A profile is `[default]` or the `--project-name` given at login,
 * at the top level (the CLI's first layout) or under `[profiles.NAME]` (its `config_version = 2`).
 */
export function stripeCliConfigPath(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'stripe', 'config.toml')
}

export interface StripeCliKey {
  key: string
  /** Where it came from, for messages: `the Stripe CLI profile "default" (…/config.toml)`. */
  source: string
}

type Table = Record<string, unknown>

const isTable = (value: unknown): value is Table =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)

export function stripeCliKey(profile: string, env: NodeJS.ProcessEnv, today: Date): StripeCliKey {
  const file = stripeCliConfigPath(env)
  const login = profile === 'default' ? '`stripe login`' : `\`stripe login --project-name ${profile}\``
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError(`--stripe-cli-profile: no Stripe CLI config at ${file}`, {
        suggestion: `Run ${login} first, or pass --api-key.`,
      })
    throw new UsageError(`--stripe-cli-profile: cannot read ${file}: ${(error as Error).message}`)
  }
  let doc: Table
  try {
    doc = parseToml(text)
  } catch (error) {
    if (error instanceof TomlError)
      throw new UsageError(
        `--stripe-cli-profile: ${file} is not valid TOML: line ${error.line}, column ${error.column}: ${error.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '')}`,
      )
    throw error
  }
  // The CLI's second layout keeps profiles under [profiles]; its first, at the top level. It reads both.
  const nested = Number(doc.config_version) >= 2 && isTable(doc.profiles) ? doc.profiles : {}
  const table = [nested[profile], doc[profile]].find(isTable)
  const source = `the Stripe CLI profile "${profile}" (${file})`
  if (!table) {
    const names = [
      ...new Set(
        [...Object.entries(nested), ...Object.entries(doc)]
          .filter(([, value]) => isTable(value) && 'test_mode_api_key' in value)
          .map(([name]) => name),
      ),
    ]
    throw new UsageError(
      `--stripe-cli-profile: no profile "${profile}" in ${file}${names.length > 0 ? `; it has ${names.map((name) => `"${name}"`).join(', ')}` : ''}`,
      {suggestion: `Run ${login}, or name another profile.`},
    )
  }
  const key = table.test_mode_api_key
  if (typeof key !== 'string' || key.trim() === '')
    throw new UsageError(`--stripe-cli-profile: ${source} has no test_mode_api_key`, {
      suggestion: `Run ${login} again.`,
    })
  const expiry = table.test_mode_key_expires_at
  const expiresAt = expiry instanceof Date ? expiry.toISOString().slice(0, 10) : expiry
  // The CLI writes the expiry as YYYY-MM-DD; the key works through that day.
  if (
    typeof expiresAt === 'string' &&
    /^\d{4}-\d{2}-\d{2}$/.test(expiresAt) &&
    expiresAt < today.toISOString().slice(0, 10)
  ) {
    throw new UsageError(`--stripe-cli-profile: the key of ${source} expired on ${expiresAt}`, {
      suggestion: `Run ${login} again for a new one (the Stripe CLI's keys last 90 days).`,
    })
  }
  return {key: key.trim(), source}
}
