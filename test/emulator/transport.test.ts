import {describe, expect, it} from 'vitest'

import {TokenBucket} from '../../src/emulator/rate-limit.js'
import {startEmulator} from '../../src/emulator/server.js'
import {useFreshEmulators} from '../helpers/emulator.js'
import {sdk} from './sdk.js'

const emulator = useFreshEmulators()

describe('emulator transport', () => {
  it('answers GET /healthz without a key (SB-3)', async () => {
    const running = await emulator()
    const response = await fetch(`${running.url}/healthz`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({status: 'ok'})
  })

  it('rate limits as a token bucket: a burst within the bucket passes, beyond it 429 with Stripe-Rate-Limited-Reason (SB-6)', async () => {
    // A frozen clock: no token comes back mid-burst however slow the machine (no timing dependence).
    const running = await emulator({rateLimit: 10, rateLimitClock: () => 0})
    const stripe = sdk(running)
    const results = await Promise.allSettled(Array.from({length: 14}, () => stripe.customers.list({limit: 1})))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10)
    const limited = await fetch(`${running.url}/v1/customers`, {headers: {Authorization: 'Bearer sk_test_x'}})
    expect(limited.status).toBe(429)
    expect(limited.headers.get('stripe-rate-limited-reason')).toBe('global-rate')
    expect(await limited.json()).toMatchObject({error: {code: 'rate_limit'}})
  })

  it("has no rate limit by default, so plain sequential SDK code works; Stripe's 25/s is one option away (SB-A4)", async () => {
    // The defaults as a user gets them (not the test helper's): stripe-node does not retry a 429.
    const plain = await startEmulator({port: 0, rateLimitClock: () => 0})
    try {
      const stripe = sdk(plain)
      for (let i = 0; i < 60; i++) await stripe.customers.list({limit: 1})
    } finally {
      await plain.close()
    }
    const limited = await emulator({rateLimit: 25, rateLimitClock: () => 0})
    const stripe = sdk(limited)
    for (let i = 0; i < 25; i++) await stripe.customers.list({limit: 1})
    await expect(stripe.customers.list({limit: 1})).rejects.toMatchObject({statusCode: 429})
  })

  it("the bucket refills at the limit's rate, so bursts averaging under the limit pass where a one-second window would refuse them (SB-6)", () => {
    // Ten threads in step: 10 requests every 500 ms is 20/s on average, but 30 in some one-second windows.
    const bucket = new TokenBucket(25, 25, 0)
    let refused = 0
    for (let t = 0; t <= 10_000; t += 500) for (let i = 0; i < 10; i++) if (!bucket.take(t)) refused++
    expect(refused).toBe(0)
    const small = new TokenBucket(10, 10, 0)
    for (let i = 0; i < 10; i++) expect(small.take(0)).toBe(true)
    expect(small.take(0)).toBe(false)
    expect(small.take(100)).toBe(true) // one token back after 1/10 s
    expect(small.take(100)).toBe(false)
  })

  it("a response_lost fault processes the request and drops the answer; the SDK's retry with the same key gets the saved answer (SB-7, SB-5)", async () => {
    const running = await emulator({faultRate: 1, faultKinds: ['response_lost']})
    const stripe = sdk(running, 'sk_test_lost', {maxNetworkRetries: 1})
    const customer = await stripe.customers.create({email: 'lost@example.com'}, {idempotencyKey: 'lost-1'})
    // Processed once, answered by the replay: one customer, the one the retry returned.
    expect([...running.engine.customers.keys()]).toEqual([customer.id])
    expect(running.requestLog.map(({status, fault}) => ({status, fault}))).toEqual([
      {status: 0, fault: 'response_lost'},
      {status: 200, fault: undefined},
    ])
  })

  it('server_error and connection_dropped faults happen before any processing (SB-7)', async () => {
    for (const kind of ['server_error', 'connection_dropped'] as const) {
      const running = await emulator({faultRate: 1, faultKinds: [kind]})
      const error = await sdk(running)
        .customers.create({email: 'never@example.com'}, {idempotencyKey: `never-${kind}`})
        .catch((e: unknown) => e)
      expect(error).toMatchObject({type: kind === 'server_error' ? 'StripeAPIError' : 'StripeConnectionError'})
      expect(running.engine.customers.size).toBe(0)
    }
  })
})
