import {existsSync} from 'node:fs'
import {type IncomingMessage, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {type Browser, chromium} from 'playwright-core'
import type Stripe from 'stripe'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {type RunningEmulator, startEmulator} from '../../../src/emulator/server.js'
import {FAST} from '../../helpers/emulator.js'
import {DAY, START, advance, sdk} from '../sdk.js'

/**
 * A SaaS app's billing end to end in headless Chromium (Debian's `chromium`): a tiny app server of
 * the test's own starts Checkout and the portal, the browser uses the hosted pages as a customer
 * would, and the app's webhook handler verifies what the emulator sends (SB-P1 – SB-P9).
 * Without the browser it skips and says why; under CI=true a missing browser fails.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const available = existsSync(CHROMIUM)
const inCi = process.env.CI === 'true'
if (!available && !inCi)
  console.warn(
    `Checkout/portal browser flows skipped: ${CHROMIUM} not found (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  )

/** The app: routes that start Checkout and the portal, and a webhook handler checking signatures. */
async function startApp(stripe: Stripe) {
  const state = {secret: '', customer: '', priceId: '', configuration: '', port: 0}
  const events: Stripe.Event[] = []
  const rejected: string[] = []
  const waiters: Array<() => void> = []
  const base = () => `http://127.0.0.1:${state.port}`
  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) =>
    res.writeHead(status, {'Content-Type': 'text/html', ...headers}).end(body)
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse, body: Buffer, url: URL) => Promise<void>> = {
    async 'GET /subscribe'(_req, res) {
      const session = await stripe.checkout.sessions.create({
        mode: 'subscription',
        customer: state.customer,
        line_items: [{price: state.priceId, quantity: 1}],
        subscription_data: {trial_period_days: 7},
        success_url: `${base()}/success?session_id={CHECKOUT_SESSION_ID}`,
        cancel_url: `${base()}/pricing`,
      })
      send(res, 303, '', {Location: session.url!})
    },
    async 'GET /success'(_req, res, _body, url) {
      const session = await stripe.checkout.sessions.retrieve(url.searchParams.get('session_id') ?? '')
      send(res, 200, `<h1>Welcome aboard</h1><p id="subscription">${session.subscription as string}</p>`)
    },
    async 'GET /billing'(_req, res) {
      const session = await stripe.billingPortal.sessions.create({
        customer: state.customer,
        configuration: state.configuration,
        return_url: `${base()}/account`,
      })
      send(res, 303, '', {Location: session.url})
    },
    async 'GET /account'(_req, res) {
      send(res, 200, '<h1>Your account</h1>')
    },
    async 'POST /webhook'(req, res, body) {
      try {
        events.push(stripe.webhooks.constructEvent(body, req.headers['stripe-signature'] ?? '', state.secret))
        send(res, 200, '')
      } catch (error) {
        rejected.push(String(error))
        send(res, 400, '')
      }
      for (const wake of waiters.splice(0)) wake()
    },
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base())
      const handler = routes[`${req.method} ${url.pathname}`]
      if (!handler) return send(res, 404, 'not found')
      handler(req, res, Buffer.concat(chunks), url).catch((error: unknown) => send(res, 500, String(error)))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.port = (server.address() as AddressInfo).port
  return {
    state,
    url: base(),
    events,
    rejected,
    /** Resolves once events of every type given arrived, verified (and matching `keep`, if given). */
    async waitForTypes(types: string[], keep: (event: Stripe.Event) => boolean = () => true): Promise<void> {
      const has = () => types.every((type) => events.some((event) => event.type === type && keep(event)))
      for (let waits = 0; !has(); waits++) {
        if (waits > 200)
          throw new Error(`webhooks: wanted ${types.join(', ')}; got ${events.map((e) => e.type).join(', ')}`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 100)
          waiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

describe.runIf(!available && inCi)('Checkout and portal in Chromium (CI)', () => {
  it('needs Chromium under CI', () => {
    expect.fail(`${CHROMIUM} not found: .ci/run installs Debian's chromium (apt-get install -y chromium)`)
  })
})

describe.skipIf(!available)(
  `Checkout and the customer portal in headless Chromium${available ? '' : ` (skipped: ${CHROMIUM} not found)`}`,
  () => {
    let browser: Browser
    const open: Array<{close: () => Promise<void>}> = []
    beforeAll(async () => {
      // Playwright gives each launch a fresh temporary profile (--user-data-dir) of its own.
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      })
    })
    afterAll(async () => {
      await browser?.close()
    })
    afterEach(async () => {
      await Promise.all(open.splice(0).map((thing) => thing.close()))
    })

    async function world() {
      const emulator: RunningEmulator = await startEmulator({...FAST, webhookRetryDelaysMs: [0, 0, 0]})
      open.push(emulator)
      const stripe = sdk(emulator)
      const app = await startApp(stripe)
      open.push(app)
      const endpoint = await stripe.webhookEndpoints.create({url: `${app.url}/webhook`, enabled_events: ['*']})
      app.state.secret = endpoint.secret!
      const context = await browser.newContext()
      context.setDefaultTimeout(5000)
      open.push(context)
      return {stripe, app, page: await context.newPage()}
    }

    it('Checkout: the browser pays on the hosted page, the app gets signed webhooks, and the clock converts the trial', async () => {
      const {stripe, app, page} = await world()
      const price = await stripe.prices.create({
        currency: 'usd',
        unit_amount: 1500,
        recurring: {interval: 'month'},
        product_data: {name: 'Team plan'},
      })
      // Checkout on a test clock: the customer is created on the clock and passed to the session (SB-P7).
      const clock = await stripe.testHelpers.testClocks.create({frozen_time: START})
      const customer = await stripe.customers.create({email: 'pat@example.com', test_clock: clock.id})
      Object.assign(app.state, {customer: customer.id, priceId: price.id})

      await page.goto(`${app.url}/subscribe`)
      await expect.poll(() => page.url()).toMatch(/\/checkout\/cs_test_/)
      expect(await page.getByLabel('Email').inputValue()).toBe('pat@example.com')
      await page.getByLabel('Card number').fill('4000 0000 0000 0002')
      await page.getByLabel('Expiry (MM / YY)').fill('12 / 34')
      await page.getByLabel('CVC').fill('123')
      await page.getByLabel('Cardholder name').fill('Pat Lee')
      await page.getByRole('button', {name: 'Start trial'}).click()
      await expect.poll(() => page.getByRole('alert').textContent()).toBe('Your card was declined.')
      expect((await stripe.subscriptions.list({customer: customer.id, status: 'all'})).data).toEqual([])

      await page.getByLabel('Card number').fill('4242 4242 4242 4242')
      await page.getByRole('button', {name: 'Start trial'}).click()
      await page.waitForURL(`${app.url}/success?session_id=*`)
      const subscriptionId = await page.locator('#subscription').textContent()
      expect(subscriptionId).toMatch(/^sub_/)

      await app.waitForTypes(['checkout.session.completed', 'customer.subscription.created'])
      const completed = app.events.find((event) => event.type === 'checkout.session.completed')!
      expect(completed.data.object).toMatchObject({
        customer: customer.id,
        subscription: subscriptionId,
        status: 'complete',
      })
      expect(app.rejected).toEqual([])
      const trialing = await stripe.subscriptions.retrieve(subscriptionId!)
      expect(trialing).toMatchObject({status: 'trialing', trial_end: START + 7 * DAY})

      await advance(stripe, clock.id, START + 7 * DAY + 3600)
      const converted = await stripe.subscriptions.retrieve(subscriptionId!, {expand: ['latest_invoice']})
      expect(converted.status).toBe('active')
      expect(converted.latest_invoice).toMatchObject({
        status: 'paid',
        amount_paid: 1500,
        billing_reason: 'subscription_cycle',
      })
      // The trial's $0 invoice was paid at signup; this is the first charged one.
      await app.waitForTypes(['invoice.paid'], (event) => (event.data.object as Stripe.Invoice).amount_paid === 1500)
    })

    it('Portal: the browser switches plans and then cancels, and the API reflects each step', async () => {
      const {stripe, app, page} = await world()
      const basic = await stripe.prices.create({
        currency: 'usd',
        unit_amount: 1000,
        recurring: {interval: 'month'},
        product_data: {name: 'Basic'},
      })
      const pro = await stripe.prices.create({
        currency: 'usd',
        unit_amount: 3000,
        recurring: {interval: 'month'},
        product_data: {name: 'Pro'},
      })
      // On a test clock, so the proration is to the second and the same every run.
      const clock = await stripe.testHelpers.testClocks.create({frozen_time: START})
      const customer = await stripe.customers.create({
        test_clock: clock.id,
        email: 'sam@example.com',
        payment_method: 'pm_card_visa',
        invoice_settings: {default_payment_method: 'pm_card_visa'},
      })
      const subscription = await stripe.subscriptions.create({customer: customer.id, items: [{price: basic.id}]})
      const configuration = await stripe.billingPortal.configurations.create({
        business_profile: {headline: 'Acme: manage your plan'},
        features: {
          invoice_history: {enabled: true},
          payment_method_update: {enabled: true},
          subscription_update: {
            enabled: true,
            default_allowed_updates: ['price'],
            proration_behavior: 'always_invoice',
            products: [
              {product: basic.product as string, prices: [basic.id]},
              {product: pro.product as string, prices: [pro.id]},
            ],
          },
          subscription_cancel: {enabled: true, mode: 'at_period_end'},
        },
      })
      Object.assign(app.state, {customer: customer.id, configuration: configuration.id})

      await page.goto(`${app.url}/billing`)
      await expect.poll(() => page.url()).toMatch(/\/portal\/bps_/)
      await expect.poll(() => page.getByTestId('subscription-status').textContent()).toContain('Status: active')
      await page.getByLabel('Pro: $30.00 / month').check()
      await page.getByRole('button', {name: 'Update plan'}).click()
      await expect.poll(() => page.getByRole('status').textContent()).toBe('Your plan was changed.')
      const switched = await stripe.subscriptions.retrieve(subscription.id)
      expect(switched.items.data.map((item) => item.price.id)).toEqual([pro.id])
      // always_invoice bills the proration at once: $30 − $10 for the unused rest of the month.
      expect(switched.latest_invoice).not.toBe(subscription.latest_invoice)
      const proration = await stripe.invoices.retrieve(switched.latest_invoice as string)
      expect(proration).toMatchObject({billing_reason: 'subscription_update', status: 'paid', amount_paid: 2000})

      await page.getByRole('button', {name: 'Cancel at end of period'}).click()
      await expect
        .poll(() => page.getByRole('status').textContent())
        .toBe('Your subscription will be canceled at the end of the billing period.')
      const canceling = await stripe.subscriptions.retrieve(subscription.id)
      expect(canceling).toMatchObject({status: 'active', cancel_at_period_end: true})
      expect(canceling.items.data[0]?.price.id).toBe(pro.id)

      await page.getByRole('link', {name: /Return to/}).click()
      await page.waitForURL(`${app.url}/account`)
    })
  },
)
