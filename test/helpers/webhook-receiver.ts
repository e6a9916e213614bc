import {type IncomingMessage, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import Stripe from 'stripe'

export interface ReceivedDelivery {
  event: Stripe.Event
  headers: IncomingMessage['headers']
}

/**
 * A webhook handler as a user writes it for real Stripe: it verifies each request with stripe-node's
 * `constructEvent` and the signing secret, answering 400 to anything that does not verify.
 * `failFirst` answers that many requests 500 before it starts accepting; `hang` never answers.
 */
export async function webhookReceiver(options: {secret?: string; failFirst?: number; hang?: boolean} = {}) {
  const stripe = new Stripe('sk_test_receiver', {telemetry: false})
  const state = {secret: options.secret ?? '', failuresLeft: options.failFirst ?? 0}
  const received: ReceivedDelivery[] = []
  const rejected: string[] = []
  let requests = 0
  const waiters: Array<() => void> = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      requests++
      if (options.hang) return
      if (state.failuresLeft > 0) {
        state.failuresLeft--
        res.writeHead(500).end()
        return
      }
      try {
        const event = stripe.webhooks.constructEvent(Buffer.concat(chunks), req.headers['stripe-signature'] ?? '', state.secret)
        received.push({event, headers: req.headers})
        res.writeHead(200, {'Content-Type': 'application/json'}).end('{"received":true}')
      } catch (error) {
        rejected.push(error instanceof Error ? error.message : String(error))
        res.writeHead(400).end()
      }
      for (const wake of waiters.splice(0)) wake()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    received,
    rejected,
    requests: () => requests,
    useSecret(secret: string) {
      state.secret = secret
    },
    /** Resolves once `count` events verified; rejects after `timeoutMs` with what arrived so far. */
    async waitFor(count: number, timeoutMs = 10_000): Promise<ReceivedDelivery[]> {
      const deadline = Date.now() + timeoutMs
      while (received.length < count) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`webhook receiver: ${received.length} of ${count} events after ${timeoutMs}ms (${rejected.length} rejected: ${rejected[0] ?? ''})`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left)
          waiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
      return received
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
