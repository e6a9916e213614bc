import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {readFile} from 'node:fs/promises'
import Stripe from 'stripe'
import {afterEach, describe, expect, it} from 'vitest'

import {applyScenario} from '../../src/config/scenarios.js'
import type {Config} from '../../src/config/schema.js'
import {type RunningEmulator, startEmulator} from '../../src/emulator/server.js'
import {CurrentRunFileSchema, RunDetailsFileSchema, outFile} from '../../src/files/formats.js'
import {planScenario} from '../../src/scenario/plan.js'
import {type LedgerFile, LedgerFileSchema, ledgerFile} from '../../src/files/ledger.js'
import {journalPath} from '../../src/run/journal.js'
import type {RunProgress} from '../../src/run/progress.js'
import {FAST} from '../helpers/emulator.js'
import {
  accountCounts,
  fastConfig,
  loseEachClocksLastLine,
  readSnapshots,
  runService,
  withoutIds,
} from '../helpers/run-service.js'
import {seedScenarioCatalog} from '../helpers/scenario-catalog.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
const running: Array<{close: () => Promise<void>}> = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()))
})

const N = 60
const MONTHS = 6
const SEED = Number(process.env.H9_SEED ?? 1)

function saasConfig(): Config {
  return applyScenario({...fastConfig(), customers: N, months: MONTHS}, 'saas')
}

async function workspace() {
  const emulator = await startEmulator(FAST)
  running.push(emulator)
  const outDir = await tempDir()
  await seedScenarioCatalog(emulator, outDir, saasConfig())
  return {emulator, outDir}
}

/** A subscription as Stripe's JSON gave it to the run: the test reads it with its own eyes, not the SDK types of src/. */
interface RawSubscription {
  id: string
  customer: string
  status: string
  currency: string
  cancel_at_period_end: boolean
  cancel_at: number | null
  trial_end: number | null
  metadata: Record<string, string>
  discounts: Array<{start: number; end: number | null; source: {coupon: string}; promotion_code: string | null}>
  items: {
    data: Array<{
      quantity: number
      price: {unit_amount: number; recurring: {interval: string; interval_count: number}}
      discounts: RawSubscription['discounts']
    }>
  }
}

/**
 * Sits between the run and the emulator and keeps what Stripe answered each time the run created a
 * subscription (month 0) or listed a clock's subscriptions (month k is the clock's k-th listing in
 * an uninterrupted run), with the clock's frozen time read through the SDK at that instant.
 */
async function recordingProxy(emulator: RunningEmulator) {
  const stripe = new Stripe('sk_test_recorder', {
    host: new URL(emulator.url).hostname,
    port: Number(new URL(emulator.url).port),
    protocol: 'http',
  })
  const listings = new Map<string, Array<{at: number; subscriptions: RawSubscription[]}>>()
  const created: RawSubscription[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      const upstream = await fetch(new URL(req.url!, emulator.url), {
        method: req.method,
        headers: req.headers as Record<string, string>,
        body: ['GET', 'DELETE'].includes(req.method!) ? undefined : Buffer.concat(chunks),
      })
      const body = await upstream.text()
      const url = new URL(req.url!, 'http://x')
      if (upstream.ok && url.pathname === '/v1/subscriptions') {
        const clock = url.searchParams.get('test_clock')
        if (req.method === 'POST') created.push(JSON.parse(body) as RawSubscription)
        else if (clock) {
          const {frozen_time} = await stripe.testHelpers.testClocks.retrieve(clock)
          const list = listings.get(clock) ?? []
          list.push({at: frozen_time, subscriptions: (JSON.parse(body) as {data: RawSubscription[]}).data})
          listings.set(clock, list)
        }
      }
      const headers: Record<string, string> = {}
      upstream.headers.forEach((value, name) => {
        if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'content-encoding')
          headers[name] = value
      })
      res.writeHead(upstream.status, headers).end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  running.push({close: () => new Promise<void>((resolve) => server.close(() => resolve()))})
  return {url, listings, created, stripe}
}

/**
 * MRR of one subscription at `at`, written here from Stripe's definitions (SB-M1,
 * SB-M1–SB-M3) with the account defaults: active and past_due count, a scheduled cancellation stops
 * counting at the request, yearly is ÷ 12, only `forever` coupons reduce it (percent off), per unit
 * rounded half up.
 */
function mrrOf(sub: RawSubscription, at: number, coupons: Map<string, Stripe.Coupon>): number {
  if (sub.status !== 'active' && sub.status !== 'past_due') return 0
  if (sub.cancel_at_period_end || sub.cancel_at !== null) return 0
  let total = 0
  for (const item of sub.items.data) {
    const months = {year: 12, month: 1}[item.price.recurring.interval]! * item.price.recurring.interval_count
    let unit = item.price.unit_amount / months
    for (const discount of [...item.discounts, ...sub.discounts]) {
      if (discount.start > at || (discount.end !== null && discount.end <= at)) continue
      const coupon = coupons.get(discount.source.coupon)!
      if (coupon.duration !== 'forever') continue
      if (coupon.percent_off === null)
        throw new Error(`the test does not model amount-off forever coupons (${coupon.id})`)
      unit *= 1 - coupon.percent_off / 100
    }
    total += Math.floor(unit + 0.5) * item.quantity
  }
  return total
}

function movementOf(was: number, now: number, paidBefore: boolean): string | null {
  if (was === 0 && now > 0) return paidBefore ? 'reactivation' : 'new'
  if (was > 0 && now === 0) return 'churn'
  return now > was ? 'expansion' : now < was ? 'contraction' : null
}

async function readLedger(outDir: string): Promise<LedgerFile> {
  return LedgerFileSchema.parse(JSON.parse(await readFile(ledgerFile(outDir), 'utf8')))
}

/** The ledger without ids: what two runs with the same seed must agree on. */
function ledgerWithoutIds(ledger: LedgerFile) {
  return ledger.items.map(({customer_id: _c, subscription_id: _s, item_id: _i, price_id: _p, discounts, ...rest}) => ({
    ...rest,
    discounts: discounts.map(({coupon_id, ...d}) => ({...d, coupon_id})),
  }))
}

describe('run generate --scenario saas (in-process, against the emulator)', () => {
  it("executes every planned feature, and each month's ledger equals an MRR recomputed from Stripe's own objects and the plan", async () => {
    const {emulator, outDir} = await workspace()
    const seeding = emulator.requestLog.length
    const proxy = await recordingProxy(emulator)
    const config = saasConfig()
    const result = await runService({...emulator, url: proxy.url}, outDir, {
      customers: N,
      months: MONTHS,
      seed: SEED,
      config,
    })
    expect(result.status).toBe('complete')
    const ledger = await readLedger(outDir)
    const details = RunDetailsFileSchema.parse(JSON.parse(await readFile(outFile(outDir, 'runDetails'), 'utf8')))

    // Every feature is in the history: requests the run sent, and what Stripe did as the clocks passed.
    const kinds = new Set(details.events.map((event) => event.kind))
    for (const kind of [
      'mid_cycle_upgrade',
      'mid_cycle_downgrade',
      'seat_growth',
      'to_yearly',
      'cancel_at_period_end',
      'reactivation',
      'discount',
      'cancel',
      'upgrade',
      'past_due',
      'addon_added',
      'addon_removed',
    ])
      expect(kinds, kind).toContain(kind)
    expect(new Set(ledger.items.map((item) => item.currency))).toEqual(new Set(['usd', 'eur', 'gbp']))
    expect(ledger.items.some((item) => item.interval === 'year')).toBe(true)
    expect(ledger.items.some((item) => item.trial === 'trialing')).toBe(true)
    expect(ledger.items.some((item) => item.status === 'canceled' && item.trial === 'ended')).toBe(true) // a trial that stopped
    expect([...new Set(ledger.items.flatMap((item) => item.discounts.map((d) => d.duration)))]).toEqual(
      expect.arrayContaining(['forever', 'repeating']),
    )
    // A once coupon leaves with the first invoice that uses it (SB-60): it is on that invoice, never at a month's reading.
    const invoiceCoupons = new Set<string>()
    for await (const invoice of proxy.stripe.invoices.list({limit: 100, expand: ['data.discounts']}))
      for (const d of invoice.discounts) if (typeof d !== 'string') invoiceCoupons.add(d.source.coupon as string)
    expect(invoiceCoupons).toContain('stripe_seed_first_month_10_off')
    // A scheduled cancellation leaves MRR at the request (SB-M3): seen at a reading only when the period ends past it.
    for (const item of ledger.items.filter((i) => i.cancel_at !== null && i.status === 'active'))
      expect(item.excluded).toBe('scheduled_cancellation')
    expect(new Set(ledger.customers.map((row) => row.movement))).toEqual(
      new Set([null, 'new', 'expansion', 'contraction', 'churn', 'reactivation']),
    )
    const allListed = [...proxy.listings.values()].flatMap((list) => list.flatMap((l) => l.subscriptions))
    expect(allListed.some((sub) => sub.discounts.some((d) => d.promotion_code !== null))).toBe(true)

    // The test's own MRR, month by month, from what Stripe answered the run.
    const coupons = new Map((await proxy.stripe.coupons.list({limit: 100})).data.map((coupon) => [coupon.id, coupon]))
    const perMonth: Array<Map<string, number>> = Array.from({length: MONTHS + 1}, () => new Map())
    const add = (month: number, customer: string, mrr: number) =>
      perMonth[month]!.set(customer, (perMonth[month]!.get(customer) ?? 0) + mrr)
    const currentRun = CurrentRunFileSchema.parse(JSON.parse(await readFile(outFile(outDir, 'currentRun'), 'utf8')))
    const startTime = Date.parse(currentRun.start_time) / 1000
    for (const sub of proxy.created.filter((s) => s.metadata.stripe_seed_subscription === undefined))
      add(0, sub.customer, mrrOf(sub, startTime, coupons))
    expect(proxy.listings.size).toBe(Math.ceil(N / config.customersPerClock))
    for (const list of proxy.listings.values()) {
      expect(list).toHaveLength(MONTHS)
      for (const [index, {at, subscriptions}] of list.entries())
        for (const sub of subscriptions) add(index + 1, sub.customer, mrrOf(sub, at, coupons))
    }
    const ledgerPerMonth = ledger.months.map((month) => {
      const totals = new Map<string, number>()
      for (const item of ledger.items.filter((i) => i.month === month))
        totals.set(item.customer_id, (totals.get(item.customer_id) ?? 0) + item.mrr)
      return totals
    })
    const nonZero = (totals: Map<string, number>) => new Map([...totals].filter(([, mrr]) => mrr > 0))
    for (let month = 0; month <= MONTHS; month++)
      expect(nonZero(ledgerPerMonth[month]!), `month ${month}`).toEqual(nonZero(perMonth[month]!))

    // Movements, classified here from the same totals.
    const movements: Array<{month: string; customer_id: string; movement: string; change: number}> = []
    const everPaid = new Set<string>()
    for (let month = 0; month <= MONTHS; month++) {
      const before = month === 0 ? new Map<string, number>() : perMonth[month - 1]!
      for (const customer of new Set([...before.keys(), ...perMonth[month]!.keys()])) {
        const was = before.get(customer) ?? 0
        const now = perMonth[month]!.get(customer) ?? 0
        const movement = movementOf(was, now, everPaid.has(customer))
        if (movement) movements.push({month: ledger.months[month]!, customer_id: customer, movement, change: now - was})
      }
      for (const [customer, mrr] of perMonth[month]!) if (mrr > 0) everPaid.add(customer)
    }
    const sort = (rows: typeof movements) =>
      [...rows].sort((a, b) => a.month.localeCompare(b.month) || a.customer_id.localeCompare(b.customer_id))
    expect(
      sort(
        ledger.customers.flatMap((row) =>
          row.movement
            ? [{month: row.month, customer_id: row.customer_id, movement: row.movement, change: row.change}]
            : [],
        ),
      ),
    ).toEqual(sort(movements))

    // And the run did what the plan said: each customer's MRR is the planner's expected MRR.
    const customerIndex = new Map(allListed.map((sub) => [sub.customer, Number(sub.metadata.stripe_seed_customer)]))
    const plan = planScenario({config, customers: N, months: MONTHS, seed: SEED, startTime, runId: result.runId})
    for (const expected of plan.expected) {
      const planned = new Map<number, number>()
      for (const sub of expected.subscriptions)
        planned.set(sub.customer, (planned.get(sub.customer) ?? 0) + sub.mrrCents)
      const actual = new Map(
        [...nonZero(ledgerPerMonth[expected.month]!)].map(([customer, mrr]) => [customerIndex.get(customer)!, mrr]),
      )
      if (process.env.H9_DEBUG)
        for (const [c, m] of planned)
          if ((actual.get(c) ?? 0) !== m)
            console.log(
              expected.month,
              c,
              m,
              actual.get(c),
              JSON.stringify(plan.customers[c]!.terms),
              JSON.stringify(plan.events.filter((e) => e.customer === c)),
              JSON.stringify(expected.subscriptions.filter((e) => e.customer === c)),
              JSON.stringify(
                ledger.items.filter(
                  (i) => customerIndex.get(i.customer_id) === c && i.month === ledger.months[expected.month],
                ),
              ),
            )
      expect(actual, `month ${expected.month}`).toEqual(new Map([...planned].filter(([, mrr]) => mrr > 0)))
    }
    expect(accountCounts(emulator).clocks).toBe(Math.ceil(N / config.customersPerClock))
    // Stripe (the emulator) accepted every request the plan made it send: no 4xx, no 501 for an unmodelled case.
    expect(
      emulator.requestLog
        .slice(seeding)
        .filter((entry) => entry.status >= 400)
        .map((entry) => `${entry.method} ${entry.path} ${entry.status}`),
    ).toEqual([])
  })
})

describe('run generate --scenario saas, stopped and resumed', () => {
  const customers = 30
  const months = 4
  const config = () => applyScenario({...fastConfig(), customers, months}, 'saas')
  let clean: Promise<{rows: ReturnType<typeof withoutIds>; ledger: ReturnType<typeof ledgerWithoutIds>}> | undefined
  const cleanRun = () =>
    (clean ??= (async () => {
      const {emulator, outDir} = await workspace()
      const result = await runService(emulator, outDir, {customers, months, seed: SEED, config: config()})
      expect(result.status).toBe('complete')
      return {rows: withoutIds(await readSnapshots(outDir)), ledger: ledgerWithoutIds(await readLedger(outDir))}
    })())

  const crashPoints: Array<[string, (progress: RunProgress) => boolean]> = [
    ['during creation', (p) => p.has('create') && p.phase('create').done >= 2],
    ['in month 1 (timed stops and the boundary)', (p) => p.has('month 1') && p.phase('month 1').state !== 'pending'],
    ['after some clocks read month 2', (p) => p.has('month 2') && p.phase('month 2').done >= 3],
  ]

  it.each(crashPoints)(
    'stopped %s, its last steps unjournaled: --resume writes the uninterrupted ledger and rows, nothing twice',
    async (_name, when) => {
      const expected = await cleanRun()
      const {emulator, outDir} = await workspace()
      const stop = new AbortController()
      const first = await runService(emulator, outDir, {
        customers,
        months,
        seed: SEED,
        config: config(),
        signal: stop.signal,
        onProgress: (p) => when(p) && stop.abort(),
      })
      expect(first.status).toBe('interrupted')
      // Each clock's last step happened in Stripe but its line never reached the disk.
      await loseEachClocksLastLine(journalPath(outDir, first.runId))

      const resumed = await runService(emulator, outDir, {
        customers,
        months,
        seed: SEED,
        config: config(),
        resume: first.runId,
      })
      expect(resumed.status).toBe('complete')
      expect(ledgerWithoutIds(await readLedger(outDir))).toEqual(expected.ledger)
      expect(withoutIds(await readSnapshots(outDir))).toEqual(expected.rows)
      // Nothing twice: every planned customer once, and exactly the subscriptions the plan makes (reactivations add one).
      const plan = planScenario({config: config(), customers, months, seed: SEED, startTime: 0, runId: 'count'})
      const counts = accountCounts(emulator)
      expect(counts.customers).toBe(customers)
      expect(counts.subscriptions).toBe(customers + plan.events.filter((e) => e.kind === 'reactivation').length)
    },
  )
})
