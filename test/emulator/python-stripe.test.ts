import {execFile, spawnSync} from 'node:child_process'
import {promisify} from 'node:util'
import {fileURLToPath} from 'node:url'
import Stripe from 'stripe'
import {expect, it} from 'vitest'

import {useEmulator} from '../helpers/emulator.js'

/**
 * The done-script's flow through a client nobody here wrote: Debian's python3-stripe (5.0.0, no
 * pinned API version), so every request and event is in the account's default (SB-V1, SB-V2).
 */
const SCRIPT = fileURLToPath(new URL('../python/subscription_flow.py', import.meta.url))

/** The first Python with the `stripe` package: Debian's /usr/bin/python3 (a pyenv python3 on PATH may lack it). */
function pythonWithStripe(): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(python, ['-c', 'import stripe'], {stdio: 'ignore'})
    if (probe.status === 0) return python
  }
  return undefined
}

const python = pythonWithStripe()
const emulator = useEmulator({advanceMs: 0})

it.skipIf(python === undefined)(
  `python3-stripe runs a trial with a coupon, an upgrade, a renewal and a cancellation against the account's default version, its webhooks verified${python ? '' : ' (skipped: python3-stripe is not installed; apt-get install python3-stripe)'}`,
  async () => {
    // Asynchronously: the emulator answering it runs in this process.
    const {stdout: output} = await promisify(execFile)(python as string, [SCRIPT, emulator().url], {
      encoding: 'utf8',
      env: {...process.env, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1'},
      timeout: 60_000,
    })
    const result = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>
    expect(result).toMatchObject({
      status: 'canceled',
      event_types: ['customer.subscription.deleted', 'customer.subscription.updated', 'invoice.paid'],
      event_api_versions: [Stripe.API_VERSION],
    })
    expect((result.amounts_paid as number[])[0]).toBe(800)
  },
)
