import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {startEmulator} from '../../src/emulator/server.js'
import {FAST} from '../helpers/emulator.js'
import {useTempDirs} from '../helpers/tmp.js'
import {wholeState} from '../helpers/whole-state.js'
import {DAY, START, advance, sdk} from './sdk.js'

// `--data PATH` keeps the whole account across restarts (SB-A6). In-process here: a restart is
// close() and a new emulator on the same file; test/integration/emulator-data.test.ts kills a real process.

const tempDir = useTempDirs()

describe('emulator --data (SB-A6)', () => {
  it('a restart finds the whole state: records, indexes, clocks, events, webhook endpoints, idempotent results; new ids go on where they were', async () => {
    const dataPath = join(await tempDir(), 'state.sqlite')
    const first = await startEmulator({...FAST, dataPath})
    const stripe = sdk(first)
    const endpoint = await stripe.webhookEndpoints.create({url: 'http://127.0.0.1:9/hook', enabled_events: ['*']})
    const clock = await stripe.testHelpers.testClocks.create({frozen_time: START, name: 'kept'})
    const customer = await stripe.customers.create(
      {
        test_clock: clock.id,
        payment_method: 'pm_card_visa',
        invoice_settings: {default_payment_method: 'pm_card_visa'},
      },
      {idempotencyKey: 'kept-customer'},
    )
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 900,
      recurring: {interval: 'month'},
      product_data: {name: 'Kept'},
    })
    const subscription = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    await advance(stripe, clock.id, START + 32 * DAY)
    // A failed request leaves nothing to keep either (SB-A1).
    await expect(stripe.customers.create({email: 'x', test_clock: 'clock_missing'})).rejects.toMatchObject({
      statusCode: 404,
    })
    const before = wholeState(first)
    const answered = await stripe.invoices.list({subscription: subscription.id})
    await first.close()

    const second = await startEmulator({...FAST, dataPath})
    try {
      // Events' delivery counts settle after their request: kept as they stood at the restart.
      const after = wholeState(second)
      expect(after.collections).toEqual(before.collections)
      expect(after.indexes).toEqual(before.indexes)
      expect(after.idempotency).toEqual(before.idempotency)
      expect(after.events.map((event) => [event.id, event.type, event.data])).toEqual(
        before.events.map((event) => [event.id, event.type, event.data]),
      )
      const again = sdk(second)
      expect(await again.invoices.list({subscription: subscription.id})).toEqual(answered)
      expect(await again.webhookEndpoints.retrieve(endpoint.id)).toMatchObject({url: 'http://127.0.0.1:9/hook'})
      // The saved result is replayed, not run again.
      const replay = await again.customers.create(
        {
          test_clock: clock.id,
          payment_method: 'pm_card_visa',
          invoice_settings: {default_payment_method: 'pm_card_visa'},
        },
        {idempotencyKey: 'kept-customer'},
      )
      expect(replay.id).toBe(customer.id)
      expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true')
      // New objects get new ids and later list positions: the counters were kept too.
      const next = await again.customers.create({email: 'next@example.com'})
      expect(Object.keys(before.collections.customers ?? {})).not.toContain(next.id)
      expect((await again.customers.list({limit: 1})).data[0]!.id).toBe(next.id)
      expect((await again.events.list({limit: 1})).data[0]).toMatchObject({type: 'customer.created'})
      // The clock goes on advancing from where it was.
      await advance(again, clock.id, START + 63 * DAY)
      expect((await again.invoices.list({subscription: subscription.id})).data).toHaveLength(answered.data.length + 1)
    } finally {
      await second.close()
    }
  })

  it('reset() and POST /_emulator/reset empty the account, kept state included, as a fresh start would', async () => {
    const dataPath = join(await tempDir(), 'state.sqlite')
    const fresh = await startEmulator({...FAST, dataPath})
    const empty = wholeState(fresh)
    const firstId = (await sdk(fresh).customers.create({email: 'a@example.com'})).id
    await sdk(fresh).customers.create({email: 'b@example.com'}, {idempotencyKey: 'b'})
    const answer = await fetch(`${fresh.url}/_emulator/reset`, {
      method: 'POST',
      headers: {Authorization: 'Bearer sk_test_reset'},
    })
    expect(answer.status).toBe(200)
    expect(wholeState(fresh)).toEqual(empty)
    // The same seed gives the same ids again, as after a fresh start.
    expect((await sdk(fresh).customers.create({email: 'a@example.com'})).id).toBe(firstId)
    fresh.reset()
    expect(wholeState(fresh)).toEqual(empty)
    await fresh.close()
    const restarted = await startEmulator({...FAST, dataPath})
    try {
      expect(wholeState(restarted)).toEqual(empty)
      const unauthenticated = await fetch(`${restarted.url}/_emulator/reset`, {method: 'POST'})
      expect(unauthenticated.status).toBe(401)
    } finally {
      await restarted.close()
    }
  })

  it('refuses a file another emulator holds, and one that is not an emulator database', async () => {
    const dir = await tempDir()
    const dataPath = join(dir, 'state.sqlite')
    const holder = await startEmulator({...FAST, dataPath})
    try {
      await expect(startEmulator({...FAST, dataPath})).rejects.toThrow(/in use by another emulator/)
    } finally {
      await holder.close()
    }
    const {writeFile} = await import('node:fs/promises')
    await writeFile(join(dir, 'notes.txt'), 'not a database at all, just some text that is long enough'.repeat(20))
    await expect(startEmulator({...FAST, dataPath: join(dir, 'notes.txt')})).rejects.toThrow(
      /not an emulator state database/,
    )
  })
})
