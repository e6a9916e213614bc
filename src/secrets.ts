import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse as parseDotenv} from 'dotenv'

import {UsageError} from './errors.js'
import {stripeCliKey} from './stripe-cli-profile.js'

/** Where the key came from, as the user would name it: `--api-key`, `STRIPE_API_KEY in ./.env`… */
export type KeySource = string

export interface ResolvedKey {
  key: string
  source: KeySource
}

export interface KeyFlags {
  apiKey?: string
  /** Take the key `stripe login` saved for this Stripe CLI profile, and look nowhere else. */
  stripeCliProfile?: string
}

/** stripe-seed's own name first, then the Stripe CLI's, as `stripe` itself reads STRIPE_API_KEY. */
export const KEY_VARIABLES = ['STRIPE_SECRET_KEY', 'STRIPE_API_KEY'] as const

/** The key with everything but its mode prefix and last 4 characters hidden: `sk_test_…a1b2`. */
export function maskKey(key: string): string {
  const prefix = /^(sk|rk|pk)_(test|live)_/.exec(key)?.[0] ?? ''
  return `${prefix}…${key.slice(-4)}`
}

/** Every secret or restricted key in a text, masked. */
export function maskKeys(text: string): string {
  return text.replaceAll(/\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9_]+/g, (key) => maskKey(key))
}

/**
 * Finds the Stripe key: --api-key (or the Stripe CLI profile, when asked for), then the
 * environment, then `.env` in the working directory, each STRIPE_SECRET_KEY before STRIPE_API_KEY.
 * Live keys are refused here, before any client exists, so no request can carry one.
 */
export function resolveApiKey(flags: KeyFlags, env: NodeJS.ProcessEnv, cwd: string, today = new Date()): ResolvedKey {
  const found =
    flags.stripeCliProfile === undefined
      ? findKey(flags.apiKey, env, cwd)
      : stripeCliKey(flags.stripeCliProfile, env, today)
  if ('looked' in found) {
    throw new UsageError(`No Stripe key; looked, in order, at: ${found.looked.join(', ')}`, {
      suggestion:
        'Pass --api-key sk_test_…, or --stripe-cli-profile for the key `stripe login` saved. Without a Stripe account, try the local emulator: `stripe-seed emulator`, then --api-base http://127.0.0.1:12111',
    })
  }
  assertTestModeKey(found.key, found.source)
  return found
}

/** Where a printed command puts a key that was given by flag: visibly not a key, never the key itself. */
export const KEY_PLACEHOLDER = '<your sk_test_… key>'

export function assertTestModeKey(key: string, source: KeySource): void {
  if (key === KEY_PLACEHOLDER)
    throw new UsageError(`${source} holds the placeholder of a printed command: put your test-mode key in its place`)
  if (/^(sk|rk)_live_/.test(key)) {
    throw new UsageError(
      `Refusing the live key ${maskKey(key)} from ${source}: stripe-seed creates fake customers and deletes test clocks, so it only runs with test-mode keys (sk_test_… or rk_test_…)`,
    )
  }
  if (/^pk_/.test(key)) {
    throw new UsageError(
      `The key from ${source} is a publishable key (${maskKey(key)}): use a secret key (sk_test_…) or a restricted key (rk_test_…)`,
    )
  }
  if (!/^(sk|rk)_test_[A-Za-z0-9_]+$/.test(key)) {
    throw new UsageError(
      `The key from ${source} is not a Stripe test-mode secret key (expected sk_test_… or rk_test_…)`,
    )
  }
}

function findKey(flagValue: string | undefined, env: NodeJS.ProcessEnv, cwd: string): ResolvedKey | {looked: string[]} {
  if (flagValue) return {key: flagValue.trim(), source: '--api-key'}
  for (const name of KEY_VARIABLES) {
    const value = env[name]?.trim()
    if (value) return {key: value, source: name}
  }
  const looked = ['--api-key', ...KEY_VARIABLES]
  let dotenvText: string | undefined
  try {
    dotenvText = readFileSync(join(cwd, '.env'), 'utf8')
  } catch {
    // No .env is the common case: it is still a place we looked.
  }
  // Parsed, not loaded: a .env must not leak its other variables into this process.
  const dotenv = dotenvText === undefined ? {} : parseDotenv(dotenvText)
  for (const name of KEY_VARIABLES) {
    const value = dotenv[name]?.trim()
    if (value) return {key: value, source: `${name} in ./.env`}
    looked.push(`${name} in ./.env${dotenvText === undefined ? ' (no such file)' : ''}`)
  }
  return {looked}
}
