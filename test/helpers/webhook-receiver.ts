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
        const event = stripe.webhooks.constructEvent(
          Buffer.concat(chunks),
          req.headers['stripe-signature'] ?? '',
          state.secret,
        )
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
        if (left <= 0)
          throw new Error(
            `webhook receiver: ${received.length} of ${count} events after ${timeoutMs}ms (${rejected.length} rejected: ${rejected[0] ?? ''})`,
          )
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

/**
 * What a monthly renewal sends, in the order the emulator sends it (SB-68): the invoice and the
 * subscription's new period, then an hour later finalization and payment.
 */
export const RENEWAL_SEQUENCE = [
  'invoice.created',
  'customer.subscription.updated',
  'payment_intent.created',
  'invoice.finalized',
  'charge.succeeded',
  'payment_intent.succeeded',
  'invoice_payment.paid',
  'invoice.paid',
  'invoice.payment_succeeded',
]

type Related = {
  id?: string
  object?: string
  billing_reason?: string
  invoice?: string
  payment_intent?: string
  payment?: {payment_intent?: string}
  parent?: {subscription_details?: {subscription?: string}} | null
}

/**
 * The event types of the first paid renewal among `events` (in delivery order): the automatic
 * events of its subscription, its invoice and the invoice's payment, from the renewal's second to
 * the payment. Other subscriptions renewing at the same second are left out.
 */
export function firstPaidRenewal(events: Stripe.Event[]): string[] {
  const objectOf = (event: Stripe.Event) => event.data.object as Related
  const paid = new Set(
    events.filter((event) => event.type === 'invoice.payment_succeeded').map((event) => objectOf(event).id),
  )
  const created = events.find(
    (event) =>
      event.type === 'invoice.created' &&
      objectOf(event).billing_reason === 'subscription_cycle' &&
      paid.has(objectOf(event).id),
  )
  if (!created) return []
  const invoiceId = objectOf(created).id
  const subscriptionId = objectOf(created).parent?.subscription_details?.subscription
  const paymentIntents = new Set(
    events
      .filter((event) => event.type === 'invoice_payment.paid' && objectOf(event).invoice === invoiceId)
      .map((event) => objectOf(event).payment?.payment_intent),
  )
  const belongs = (object: Related) =>
    object.id === invoiceId ||
    (object.object === 'subscription' && object.id === subscriptionId) ||
    (object.object === 'invoice_payment' && object.invoice === invoiceId) ||
    (object.object === 'payment_intent' && paymentIntents.has(object.id)) ||
    (object.object === 'charge' && paymentIntents.has(object.payment_intent))
  // Renewals are automatic (fact 87): requests' own changes to the subscription are not part of it.
  const related = events.filter(
    (event) => event.request?.id === null && event.created >= created.created && belongs(objectOf(event)),
  )
  const end = related.findIndex(
    (event) => event.type === 'invoice.payment_succeeded' && objectOf(event).id === invoiceId,
  )
  return related.slice(0, end + 1).map((event) => event.type)
}
