import {readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {UsageError} from '../../src/errors.js'
import {forwardTargets, resolveForwardingSecret} from '../../src/emulator/events/forwarding.js'
import {runCommand} from '../helpers/in-process.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

describe('the forwarding secret (SB-E9)', () => {
  it('is made once and then the same on every start, saved readable by the user only', async () => {
    const configDir = join(await tempDir(), 'stripe-seed')
    const first = await resolveForwardingSecret(undefined, configDir)
    expect(first).toMatchObject({source: 'new', secret: expect.stringMatching(/^whsec_[0-9a-f]{64}$/)})
    const again = await resolveForwardingSecret(undefined, configDir)
    expect(again).toMatchObject({source: 'saved', secret: first.secret})
    expect((await stat(first.file!)).mode & 0o777).toBe(0o600)
  })

  it('a given secret wins and leaves the saved one alone; a malformed one is a usage error', async () => {
    const configDir = await tempDir()
    const saved = await resolveForwardingSecret(undefined, configDir)
    expect(await resolveForwardingSecret('whsec_mine', configDir)).toEqual({secret: 'whsec_mine', source: 'given'})
    expect((await readFile(saved.file!, 'utf8')).trim()).toBe(saved.secret)
    await expect(resolveForwardingSecret('sk_test_oops', configDir)).rejects.toBeInstanceOf(UsageError)
  })

  it('replaces a damaged file, and still signs (with a warning) when the config directory cannot be made', async () => {
    const configDir = await tempDir()
    await writeFile(join(configDir, 'webhook-secret'), 'garbage')
    const replaced = await resolveForwardingSecret(undefined, configDir)
    expect(replaced).toMatchObject({source: 'new', secret: expect.stringMatching(/^whsec_/)})
    // A file where the directory should be: not even root can make it.
    const blocked = join(configDir, 'webhook-secret', 'stripe-seed')
    const unsaved = await resolveForwardingSecret(undefined, blocked)
    expect(unsaved).toMatchObject({
      source: 'unsaved',
      secret: expect.stringMatching(/^whsec_/),
      warning: expect.stringMatching(/will change on the next start/),
    })
  })
})

describe('--forward-to and --events (SB-E9)', () => {
  it('gives each URL the listed event types, or every event', () => {
    expect(forwardTargets(['http://localhost:3000/webhook'], undefined)).toEqual([
      {url: 'http://localhost:3000/webhook'},
    ])
    expect(
      forwardTargets(['http://a.test/hook', 'https://b.test/hook'], 'invoice.paid, customer.subscription.updated'),
    ).toEqual([
      {url: 'http://a.test/hook', events: ['invoice.paid', 'customer.subscription.updated']},
      {url: 'https://b.test/hook', events: ['invoice.paid', 'customer.subscription.updated']},
    ])
  })

  it('refuses what is not a URL, an event type Stripe does not have, and --events alone, as usage errors', () => {
    expect(() => forwardTargets(['localhost:3000'], undefined)).toThrow(UsageError)
    expect(() => forwardTargets(['ftp://a.test'], undefined)).toThrow(UsageError)
    expect(() => forwardTargets(['http://a.test'], 'invoice.payed')).toThrow(/invoice\.payed/)
    expect(() => forwardTargets([], 'invoice.paid')).toThrow(UsageError)
  })
})

describe('stripe-seed emulator --forward-to (SB-E9)', () => {
  it('a bad --forward-to, --events or --webhook-secret is a usage error, exit 2 with --json, before anything listens', async () => {
    const {default: Emulator} = await import('../../src/commands/emulator.js')
    for (const argv of [
      ['--forward-to', 'localhost:3000'],
      ['--events', 'invoice.paid'],
      ['--forward-to', 'http://127.0.0.1:1/hook', '--events', 'invoice.payed'],
      ['--forward-to', 'http://127.0.0.1:1/hook', '--webhook-secret', 'sk_test_x'],
    ]) {
      const result = await runCommand(Emulator, [...argv, '--port', '0', '--json'], {
        STRIPE_SEED_WEBHOOK_SECRET: undefined,
      })
      expect(result.exitCode, argv.join(' ')).toBe(2)
      expect(JSON.parse(result.stdout)).toMatchObject({error: {exitCode: 2}})
    }
  })
})
