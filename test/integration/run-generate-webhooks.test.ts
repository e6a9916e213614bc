import Stripe from 'stripe'
import {afterEach, describe, expect, it} from 'vitest'

import {startEmulator} from '../../src/emulator/server.js'
import {runCli} from '../helpers/cli.js'
import {FAST} from '../helpers/emulator.js'
import {useTempDirs} from '../helpers/tmp.js'
import {RENEWAL_SEQUENCE, firstPaidRenewal, webhookReceiver} from '../helpers/webhook-receiver.js'

const tempDir = useTempDirs()
const open: Array<{close: () => Promise<void>}> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((thing) => thing.close()))
})

describe('run generate with its events forwarded to a webhook handler (built CLI against the emulator)', () => {
  it("six months of billing: every event verifies with constructEvent, the handler's events are /v1/events', a renewal sends SB-68's sequence", async () => {
    const hook = await webhookReceiver({secret: 'whsec_run_generate'})
    open.push(hook)
    const emulator = await startEmulator({...FAST, forwardTo: [{url: hook.url}], webhookSecret: 'whsec_run_generate'})
    open.push(emulator)
    const cwd = await tempDir()
    const run = await runCli(
      [
        'run',
        'generate',
        '--seed-prices',
        '--customers',
        '12',
        '--seed',
        '3',
        '--max-rps',
        '500',
        '--rate',
        '200',
        '--concurrency',
        '20',
      ],
      {cwd, env: {STRIPE_API_BASE: emulator.url, STRIPE_SECRET_KEY: 'sk_test_e2e_webhooks'}},
    )
    expect(run.code, run.stderr).toBe(0)

    const stripe = new Stripe('sk_test_e2e_webhooks', {
      host: '127.0.0.1',
      port: emulator.port,
      protocol: 'http',
      telemetry: false,
    })
    const listed = await stripe.events.list({limit: 100}).autoPagingToArray({limit: 10_000})
    const received = await hook.waitFor(listed.length, 60_000)
    expect(hook.rejected).toEqual([])
    expect(received.map((delivery) => delivery.event.id).sort()).toEqual(listed.map((event) => event.id).sort())
    const types = new Set(listed.map((event) => event.type))
    for (const type of [
      'test_helpers.test_clock.created',
      'customer.created',
      'customer.subscription.created',
      'invoice.created',
      'invoice.paid',
      'test_helpers.test_clock.ready',
    ])
      expect(types).toContain(type)
    expect(firstPaidRenewal(received.map((delivery) => delivery.event))).toEqual(RENEWAL_SEQUENCE)
  })
})
