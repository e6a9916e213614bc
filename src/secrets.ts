import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse as parseDotenv} from 'dotenv'

import {UsageError, UserError} from './errors.js'

export type KeySource = '--api-key' | 'STRIPE_SECRET_KEY' | '.env'

export interface ResolvedKey {
  key: string
  source: KeySource
}

/** The key with everything but its mode prefix and last 4 characters hidden: `sk_test_…a1b2`. */
export function maskKey(key: string): string {
  const prefix = /^(sk|rk|pk)_(test|live)_/.exec(key)?.[0] ?? ''
  return `${prefix}…${key.slice(-4)}`
}

/**
 * Finds the Stripe key: flag, then environment, then `.env` in the working directory.
 * Live keys are refused here, before any client exists, so no request can carry one.
 */
export function resolveApiKey(flagValue: string | undefined, env: NodeJS.ProcessEnv, cwd: string): ResolvedKey {
  const found = findKey(flagValue, env, cwd)
  if (!found) {
    throw new UserError(
      'No Stripe key: pass --api-key, set STRIPE_SECRET_KEY, or put STRIPE_SECRET_KEY=sk_test_… in ./.env',
      {suggestion: 'Without a Stripe account, try the local emulator: `stripe-seed emulator`, then --api-base http://127.0.0.1:12111'},
    )
  }
  assertTestModeKey(found.key, found.source)
  return found
}

export function assertTestModeKey(key: string, source: KeySource | string): void {
  if (/^(sk|rk)_live_/.test(key)) {
    throw new UsageError(
      `Refusing the live key ${maskKey(key)} from ${source}: stripe-seed creates fake customers and deletes test clocks, so it only runs with test-mode keys (sk_test_… or rk_test_…)`,
    )
  }
  if (/^pk_/.test(key)) {
    throw new UsageError(`The key from ${source} is a publishable key (${maskKey(key)}): use a secret key (sk_test_…) or a restricted key (rk_test_…)`)
  }
  if (!/^(sk|rk)_test_[A-Za-z0-9_]+$/.test(key)) {
    throw new UsageError(`The key from ${source} is not a Stripe test-mode secret key (expected sk_test_… or rk_test_…)`)
  }
}

function findKey(flagValue: string | undefined, env: NodeJS.ProcessEnv, cwd: string): ResolvedKey | undefined {
  if (flagValue) return {key: flagValue.trim(), source: '--api-key'}
  if (env.STRIPE_SECRET_KEY) return {key: env.STRIPE_SECRET_KEY.trim(), source: 'STRIPE_SECRET_KEY'}
  let dotenvText: string
  try {
    dotenvText = readFileSync(join(cwd, '.env'), 'utf8')
  } catch {
    return undefined
  }
  // Parsed, not loaded: a .env must not leak its other variables into this process.
  const key = parseDotenv(dotenvText).STRIPE_SECRET_KEY
  return key ? {key: key.trim(), source: '.env'} : undefined
}
