import {type IncomingMessage, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'

import {type DeliveryLogEntry, WebhookDelivery} from '../../src/emulator/events/delivery.js'
import type {EventRecord} from '../../src/emulator/events/event-log.js'
import type {DeliveryTarget} from '../../src/emulator/events/webhook-endpoints.js'
import {LATEST_VERSION} from '../../src/emulator/versions/registry.js'

// Each webhook delivery is independent (SB-A5): a failing event has its own retries and holds
// back no other. Retries wait on a sleep the test controls, so nothing depends on time.

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

/** A receiver that answers 500 to the events named in `failing` and 200 to every other. */
async function receiver(failing: Set<string>) {
  const seen: string[] = []
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const {id} = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {id: string}
      seen.push(id)
      res.writeHead(failing.has(id) ? 500 : 200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, seen}
}

function event(n: number): EventRecord {
  return {
    id: `evt_${n}`,
    type: 'customer.created',
    created: 0,
    apiVersion: LATEST_VERSION,
    data: '{}',
    request: null,
    seq: n,
    recordedAt: 0,
    pendingWebhooks: 0,
    failedWebhooks: 0,
  }
}

describe('independent webhook deliveries (SB-A5)', () => {
  it('a failing first event holds back none of the 79 after it; its own retries then deliver it', async () => {
    const failing = new Set(['evt_0'])
    const hook = await receiver(failing)
    const target: DeliveryTarget = {
      key: 'we_1',
      url: hook.url,
      secret: 'whsec_test',
      accepts: () => true,
      apiVersion: null,
    }
    const log: DeliveryLogEntry[] = []
    const waits: Array<() => void> = []
    const changed: Array<() => void> = []
    const delivery = new WebhookDelivery(
      {all: () => [target], current: () => target},
      {
        payload: (record) => JSON.stringify({id: record.id}),
        retryDelaysMs: [60_000, 60_000, 60_000],
        onDelivery: (entry) => {
          log.push(entry)
          for (const wake of changed.splice(0)) wake()
        },
        // A retry waits until the test releases it: no timer, no wall clock.
        sleep: () => new Promise<void>((resolve) => waits.push(resolve)),
      },
    )
    closers.unshift(() => delivery.close())
    const until = async (condition: () => boolean) => {
      while (!condition()) await new Promise<void>((resolve) => changed.push(resolve))
    }
    const events = Array.from({length: 80}, (_, n) => event(n))
    for (const record of events) delivery.enqueue(record)

    // Every later event is delivered while the first waits for its retry, which no clock will end.
    await until(() => log.filter((entry) => entry.outcome === 'delivered').length === 79)
    expect(log.filter((entry) => entry.eventId === 'evt_0').map((entry) => entry.outcome)).toEqual(['will_retry'])
    expect(events.slice(1).every((record) => record.pendingWebhooks === 0)).toBe(true)
    expect(events[0]).toMatchObject({pendingWebhooks: 1, failedWebhooks: 0})
    expect(delivery.backlog()).toBe(1)

    // Its retries are its own: released one by one, it fails once more and then is delivered.
    waits.shift()!()
    await until(() => log.length === 81)
    failing.clear()
    waits.shift()!()
    await until(() => log.length === 82)
    expect(log.filter((entry) => entry.eventId === 'evt_0').map((entry) => entry.outcome)).toEqual([
      'will_retry',
      'will_retry',
      'delivered',
    ])
    expect(events[0]).toMatchObject({pendingWebhooks: 0, failedWebhooks: 0})
    expect(delivery.backlog()).toBe(0)
    expect(hook.seen).toHaveLength(82)
  })
})
