import {spawn} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import Stripe from 'stripe'
import {afterEach, describe, expect, it} from 'vitest'

import {CLI} from '../helpers/cli.js'
import {useTempDirs} from '../helpers/tmp.js'
import {webhookReceiver} from '../helpers/webhook-receiver.js'

const tempDir = useTempDirs()
const open: Array<{close: () => Promise<void>}> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((thing) => thing.close()))
})

describe('stripe-seed emulator --forward-to (built CLI, real process)', () => {
  it('forwards events signed with a secret it prints in the --json start line and keeps for the next start (SB-E9); --log-webhooks logs on stderr under --json', async () => {
    const home = await tempDir()
    const hook = await webhookReceiver()
    open.push(hook)
    const args = [
      CLI,
      'emulator',
      '--port',
      '0',
      '--json',
      '--forward-to',
      hook.url,
      '--events',
      'customer.created,product.created',
      '--log-webhooks',
    ]
    const child = spawn(process.execPath, args, {
      cwd: home,
      env: {PATH: process.env.PATH ?? '', HOME: home, NO_COLOR: '1'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    try {
      const lines = createInterface({input: child.stdout})[Symbol.asyncIterator]()
      const listening = JSON.parse(String((await lines.next()).value)) as {
        url: string
        port: number
        forwardTo: string[]
        events: string[]
        webhookSecret: string
      }
      expect(listening).toMatchObject({
        status: 'listening',
        forwardTo: [hook.url],
        events: ['customer.created', 'product.created'],
        webhookSecret: expect.stringMatching(/^whsec_[0-9a-f]{64}$/),
      })
      // Saved where the next start reads it: the handler's configuration stays valid.
      expect((await readFile(join(home, '.config', 'stripe-seed', 'webhook-secret'), 'utf8')).trim()).toBe(
        listening.webhookSecret,
      )

      hook.useSecret(listening.webhookSecret)
      const stripe = new Stripe('sk_test_e2e', {
        host: '127.0.0.1',
        port: listening.port,
        protocol: 'http',
        telemetry: false,
      })
      const customer = await stripe.customers.create({email: 'e2e@example.com'})
      await stripe.customers.update(customer.id, {name: 'Not forwarded'})
      await stripe.products.create({name: 'Forwarded'})
      const received = await hook.waitFor(2)
      expect(received.map((delivery) => delivery.event.type)).toEqual(['customer.created', 'product.created'])
      expect(hook.rejected).toEqual([])

      child.kill('SIGTERM')
      expect(await exited).toBe(0)
      // One line per delivery on stderr, even with --json: stdout stays the JSON lines alone.
      expect(stderr).toMatch(/webhook customer\.created evt_\w+ -> \S+ \[200\]/)
      expect(stderr).toMatch(/webhook product\.created evt_\w+ -> \S+ \[200\]/)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
