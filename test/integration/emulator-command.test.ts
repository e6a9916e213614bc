import {spawn} from 'node:child_process'
import {createInterface} from 'node:readline'
import {describe, expect, it} from 'vitest'

import {CLI, errorLine, runCli} from '../helpers/cli.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

describe('stripe-seed emulator (built CLI, real process), as a script drives it', () => {
  it('--port 0 --json: one JSON line as soon as it listens; a taken port is one line suggesting --port 0; SIGTERM stops it with a last line', async () => {
    const cwd = await tempDir()
    const child = spawn(process.execPath, [CLI, 'emulator', '--port', '0', '--json'], {
      cwd,
      env: {PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    try {
      const lines = createInterface({input: child.stdout})[Symbol.asyncIterator]()
      const first = await lines.next()
      const listening = JSON.parse(String(first.value)) as {status: string; url: string; port: number}
      expect(listening).toEqual({
        status: 'listening',
        url: `http://127.0.0.1:${listening.port}`,
        port: expect.any(Number),
      })
      expect(listening.port).toBeGreaterThan(0)

      const response = await fetch(`${listening.url}/v1/products`, {headers: {Authorization: 'Bearer sk_test_script'}})
      expect(response.status).toBe(200)

      const taken = await runCli(['emulator', '--port', String(listening.port)], {cwd})
      expect(taken.code).toBe(1)
      expect(errorLine(taken.stderr)).toBe(
        `Error: Port ${listening.port} on 127.0.0.1 is in use: pass --port 0 to pick a free one`,
      )

      child.kill('SIGTERM')
      const last = await lines.next()
      expect(JSON.parse(String(last.value))).toEqual({
        status: 'stopped',
        url: listening.url,
        port: listening.port,
        requests: 1,
      })
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('--api-version sets the account default: requests without Stripe-Version get its shapes; a version it does not serve is a usage error (SB-V1)', async () => {
    const cwd = await tempDir()
    const bad = await runCli(['emulator', '--api-version', '2020-08-27'], {cwd})
    expect(bad.code).toBe(2)
    expect(errorLine(bad.stderr)).toContain('--api-version: not an API version the emulator serves: "2020-08-27"')

    const child = spawn(process.execPath, [CLI, 'emulator', '--port', '0', '--json', '--api-version', '2022-08-01'], {
      cwd,
      env: {PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      const lines = createInterface({input: child.stdout})[Symbol.asyncIterator]()
      const {url} = JSON.parse(String((await lines.next()).value)) as {url: string}
      const create = (headers: Record<string, string> = {}) =>
        fetch(`${url}/v1/products`, {
          method: 'POST',
          headers: {
            Authorization: 'Bearer sk_test_script',
            'Content-Type': 'application/x-www-form-urlencoded',
            ...headers,
          },
          body: 'name=Old',
        }).then((response) => response.json() as Promise<Record<string, unknown>>)
      // 2022-08-01 still called a product's marketing features `features` (SB-V14).
      expect(await create()).toMatchObject({name: 'Old', features: []})
      expect(await create({'Stripe-Version': '2026-10-28.endive'})).toMatchObject({marketing_features: []})
    } finally {
      child.kill('SIGKILL')
    }
  })
  it('--default-currency: invoices of a customer without a currency are in it; a value that is not a currency code is a usage error (SB-K3)', async () => {
    const cwd = await tempDir()
    const bad = await runCli(['emulator', '--default-currency', 'dollars'], {cwd})
    expect(bad.code).toBe(2)
    expect(errorLine(bad.stderr)).toContain('--default-currency takes a three-letter ISO currency code')

    const child = spawn(process.execPath, [CLI, 'emulator', '--port', '0', '--json', '--default-currency', 'EUR'], {
      cwd,
      env: {PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      const lines = createInterface({input: child.stdout})[Symbol.asyncIterator]()
      const {url} = JSON.parse(String((await lines.next()).value)) as {url: string}
      const post = (path: string, body: string) =>
        fetch(`${url}${path}`, {
          method: 'POST',
          headers: {Authorization: 'Bearer sk_test_script', 'Content-Type': 'application/x-www-form-urlencoded'},
          body,
        }).then((response) => response.json() as Promise<Record<string, unknown>>)
      const customer = await post('/v1/customers', 'name=NoCurrency')
      expect(customer.currency).toBeNull()
      expect(await post('/v1/invoices', `customer=${String(customer.id)}`)).toMatchObject({
        object: 'invoice',
        currency: 'eur',
      })
    } finally {
      child.kill('SIGKILL')
    }
  })
})
