import {readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import nock from 'nock'
import {afterEach, describe, expect, it} from 'vitest'

import PricesSeed from '../../src/commands/prices/seed.js'
import {RATE_LIMITED, interceptAll, list, stripeError} from '../helpers/fake-stripe.js'
import {runCommand} from '../helpers/in-process.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

afterEach(() => {
  nock.cleanAll()
  nock.enableNetConnect()
})

/** A config that keeps the scheduler's 429 backoff short: the behaviour is what is tested, not the wait. */
async function workspace() {
  const cwd = await tempDir()
  await writeFile(join(cwd, 'fast.json'), JSON.stringify({scheduler: {retryBaseMs: 1, retryForSeconds: 0.5}}))
  return cwd
}

/** Answers the five product and five price creations of an empty account. */
function acceptCreates(scope: nock.Scope): void {
  scope
    .post('/v1/products')
    .times(5)
    .reply(200, (_uri, body) => ({id: new URLSearchParams(body as string).get('id'), object: 'product'}))
    .post('/v1/prices')
    .times(5)
    .reply(200, (_uri, body) => ({
      id: `price_${new URLSearchParams(body as string).get('lookup_key')}`,
      object: 'price',
      unit_amount: 0,
    }))
}

const env = {STRIPE_SECRET_KEY: 'sk_test_command4321', STRIPE_API_BASE: undefined}

describe('prices seed (command, nocked Stripe)', () => {
  it('429 twice then success: exits 0 and writes the file', async () => {
    const cwd = await workspace()
    acceptCreates(
      interceptAll()
        .get('/v1/prices')
        .query(true)
        .times(2)
        .reply(429, RATE_LIMITED)
        .get('/v1/prices')
        .query(true)
        .reply(200, list([], '/v1/prices')),
    )
    const result = await runCommand(
      PricesSeed,
      ['--config', join(cwd, 'fast.json'), '--out-dir', join(cwd, 'out'), '--json'],
      env,
    )
    expect(result.exitCode, result.error?.message).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({
      plans: expect.arrayContaining([expect.objectContaining({key: 'free', outcome: 'created'})]),
    })
    expect(await readdir(join(cwd, 'out'))).toEqual(['stripe_prices.json'])
  })

  it('429 until the retries run out: exit 1 with a one-line cause, no file', async () => {
    const cwd = await workspace()
    interceptAll().persist().get('/v1/prices').query(true).reply(429, RATE_LIMITED)
    const result = await runCommand(
      PricesSeed,
      ['--config', join(cwd, 'fast.json'), '--out-dir', join(cwd, 'out')],
      env,
    )
    expect(result.exitCode).toBe(1)
    expect(result.error?.message).toMatch(
      /^Stripe kept rate-limiting requests after all retries \(429\): Request rate limit exceeded\.$/,
    )
    expect(await readdir(cwd)).toEqual(['fast.json'])
  })

  it('500 then success: it is retried and the command succeeds', async () => {
    const cwd = await workspace()
    acceptCreates(
      interceptAll()
        .get('/v1/prices')
        .query(true)
        .reply(500, stripeError('api_error', 'Something went wrong on our end.'))
        .get('/v1/prices')
        .query(true)
        .reply(200, list([], '/v1/prices')),
    )
    const result = await runCommand(
      PricesSeed,
      ['--config', join(cwd, 'fast.json'), '--out-dir', join(cwd, 'out')],
      env,
    )
    expect(result.exitCode, result.error?.message).toBe(0)
    expect(result.stdout).toContain('Wrote ')
  })

  it('500 on every try: exit 1 saying Stripe failed after retries, no file', async () => {
    const cwd = await workspace()
    interceptAll()
      .get('/v1/prices')
      .query(true)
      .times(3)
      .reply(500, stripeError('api_error', 'Something went wrong on our end.'))
    const result = await runCommand(
      PricesSeed,
      ['--config', join(cwd, 'fast.json'), '--out-dir', join(cwd, 'out')],
      env,
    )
    expect(result.exitCode).toBe(1)
    expect(result.error?.message).toBe(
      'Stripe failed (500) and still failed after retries: Something went wrong on our end.',
    )
    expect(await readdir(cwd)).toEqual(['fast.json'])
  })

  it('403 for a restricted key lacking a permission: exit 1 naming the permission Stripe asked for', async () => {
    const cwd = await workspace()
    // Stripe's wording for a restricted key without the permission (an invalid_request_error, HTTP 403).
    const message =
      "The provided key 'rk_test_*********************9999' does not have the required permissions for this endpoint on account 'acct_1Example'. Having the rak_product_write permission would allow this request to continue."
    interceptAll()
      .get('/v1/prices')
      .query(true)
      .reply(200, list([], '/v1/prices'))
      .post('/v1/products')
      .reply(403, stripeError('invalid_request_error', message))
    const result = await runCommand(PricesSeed, ['--config', join(cwd, 'fast.json'), '--out-dir', join(cwd, 'out')], {
      ...env,
      STRIPE_SECRET_KEY: 'rk_test_restricted9999',
    })
    expect(result.exitCode).toBe(1)
    expect(result.error?.message).toBe(
      'The restricted key rk_test_…9999 lacks the rak_product_write permission this command needs (403)',
    )
    expect((result.error as {suggestions?: string[]}).suggestions).toEqual([
      'Allow it under Developers → API keys in the Stripe Dashboard (Products: Write), or use a secret key.',
    ])
    expect(await readdir(cwd)).toEqual(['fast.json'])
  })

  it('403 without a named permission: exit 1 naming the masked key', async () => {
    const cwd = await workspace()
    interceptAll()
      .get('/v1/prices')
      .query(true)
      .reply(
        403,
        stripeError(
          'invalid_request_error',
          'The provided key does not have the required permissions for this endpoint.',
        ),
      )
    const result = await runCommand(PricesSeed, ['--config', join(cwd, 'fast.json'), '--out-dir', join(cwd, 'out')], {
      ...env,
      STRIPE_SECRET_KEY: 'rk_test_restricted9999',
    })
    expect(result.exitCode).toBe(1)
    expect(result.error?.message).toMatch(/^The key rk_test_…9999 is not allowed to do this \(403\)/)
  })
})
