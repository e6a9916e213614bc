import {type ChildProcess, spawn} from 'node:child_process'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {CLI} from '../helpers/cli.js'
import {useTempDirs} from '../helpers/tmp.js'

// `stripe-seed emulator --data PATH` as a process: kill -9 at any moment loses no answered request (SB-A6).

const tempDir = useTempDirs()

interface Running {
  child: ChildProcess
  stripe: Stripe
  stderr: () => string
  exited: Promise<unknown>
}

async function start(cwd: string, dataPath: string): Promise<Running> {
  const child = spawn(process.execPath, [CLI, 'emulator', '--port', '0', '--json', '--data', dataPath], {
    cwd,
    env: {PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1'},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  const exited = new Promise((resolve) => child.on('close', resolve))
  const first = await createInterface({input: child.stdout})[Symbol.asyncIterator]().next()
  const {port} = JSON.parse(String(first.value)) as {port: number}
  const stripe = new Stripe('sk_test_data', {
    host: '127.0.0.1',
    port,
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 0,
  })
  return {child, stripe, stderr: () => stderr, exited}
}

describe('stripe-seed emulator --data (built CLI, real process)', () => {
  it('kill -9 after requests and in the middle of a burst: after a restart every answered object is there', async () => {
    const cwd = await tempDir()
    const dataPath = join(cwd, 'state.sqlite')
    const first = await start(cwd, dataPath)
    const answered: string[] = []
    const clock = await first.stripe.testHelpers.testClocks.create({frozen_time: 1_767_225_600, name: 'kept'})
    answered.push(clock.id)
    for (let i = 0; i < 5; i++) answered.push((await first.stripe.customers.create({email: `c${i}@example.com`})).id)
    first.child.kill('SIGKILL')
    await first.exited

    const second = await start(cwd, dataPath)
    for (const id of answered.slice(1)) expect((await second.stripe.customers.retrieve(id)).id).toBe(id)
    expect((await second.stripe.testHelpers.testClocks.retrieve(clock.id)).name).toBe('kept')
    // A burst of 60 creates in flight at once; the process is killed as soon as 20 are answered.
    const burst: Array<Promise<void>> = []
    let count = 0
    const killed = new Promise<void>((resolve) => {
      for (let i = 0; i < 60; i++)
        burst.push(
          second.stripe.products.create({name: `Burst ${i}`}).then(
            // eslint-disable-next-line @typescript-eslint/no-loop-func -- every answer counts into the one shared total
            (product) => {
              answered.push(product.id)
              if (++count === 20) {
                second.child.kill('SIGKILL')
                resolve()
              }
            },
            () => {},
          ),
        )
    })
    await killed
    await Promise.all(burst)
    await second.exited
    expect(count).toBeGreaterThanOrEqual(20)

    const third = await start(cwd, dataPath)
    try {
      const products = await third.stripe.products.list().autoPagingToArray({limit: 1000})
      const customers = await third.stripe.customers.list().autoPagingToArray({limit: 1000})
      const kept = new Set([...products, ...customers].map((object) => object.id))
      expect(answered.filter((id) => id !== clock.id && !kept.has(id))).toEqual([])
      // Whatever was not answered was either kept whole or not at all: every product has its event.
      const created = await third.stripe.events.list({type: 'product.created'}).autoPagingToArray({limit: 1000})
      expect(created.map((event) => (event.data.object as Stripe.Product).id).sort()).toEqual(
        products.map((product) => product.id).sort(),
      )
      // No warning noise for users: node:sqlite's ExperimentalWarning is not printed.
      expect(third.stderr()).not.toMatch(/ExperimentalWarning|SQLite/)
    } finally {
      third.child.kill('SIGTERM')
      await third.exited
    }
  })
})
