import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {applyScenario} from '../../src/config/scenarios.js'
import type {Config} from '../../src/config/schema.js'
import {type RunningEmulator, startEmulator} from '../../src/emulator/server.js'
import {CurrentRunFileSchema, RunDetailsFileSchema, outFile} from '../../src/files/formats.js'
import {type LedgerFile, type LedgerItemRow, LedgerFileSchema, ledgerFile} from '../../src/files/ledger.js'
import {verifyRun} from '../../src/run/verify.js'
import {type Scenario, planScenario} from '../../src/scenario/plan.js'
import {FAST} from '../helpers/emulator.js'
import {fastConfig, gatewayFor, runService} from '../helpers/run-service.js'
import {seedScenarioCatalog} from '../helpers/scenario-catalog.js'

/**
 * Multi-item subscriptions on a saas run (issue 17): the support add-on is a second item on the
 * subscription from the day it is added until the day it is removed. The ledger has a row for each
 * item; the customer's MRR moves by the add-on's amount (expansion, then contraction, SB-M1,
 * SB-M5); `run verify` finds Stripe as the ledger says, and every renewal billing both items.
 */

const N = 60
const MONTHS = 6
const SEED = 1
/** The add-on's monthly price per currency: 4900 USD, × the saas price factors (0.9 EUR, 0.8 GBP). */
const ADDON = {usd: 4900, eur: 4410, gbp: 3920} as Record<string, number>

let emulator: RunningEmulator
let outDir: string
let ledger: LedgerFile
let plan: Scenario
/** Planned customer index by Stripe customer id. */
let customerIndex: Map<string, number>
const config = (): Config => applyScenario({...fastConfig(), customers: N, months: MONTHS}, 'saas')

beforeAll(async () => {
  emulator = await startEmulator(FAST)
  // One run for every test here: the directory lives as long as the file's tests.
  outDir = await mkdtemp(join(tmpdir(), 'stripe-seed-addon-'))
  await seedScenarioCatalog(emulator, outDir, config())
  const result = await runService(emulator, outDir, {customers: N, months: MONTHS, seed: SEED, config: config()})
  expect(result.status).toBe('complete')
  ledger = LedgerFileSchema.parse(JSON.parse(await readFile(ledgerFile(outDir), 'utf8')))
  const run = CurrentRunFileSchema.parse(JSON.parse(await readFile(outFile(outDir, 'currentRun'), 'utf8')))
  plan = planScenario({
    config: config(),
    customers: N,
    months: MONTHS,
    seed: SEED,
    startTime: Date.parse(run.start_time) / 1000,
    runId: result.runId,
  })
  customerIndex = new Map(run.customer_ids.map((id, index) => [id, index]))
}, 120_000)
afterAll(async () => {
  await emulator?.close()
  if (outDir) await rm(outDir, {recursive: true, force: true})
})

const rowsOf = (customer: number, month: number): LedgerItemRow[] =>
  ledger.items.filter((row) => customerIndex.get(row.customer_id) === customer && row.month === ledger.months[month])

describe('the support add-on on a saas run (in-process emulator)', () => {
  it('is a second item of the same subscription exactly in the months the plan has it on, at its own price', () => {
    const added = plan.events.filter((e) => e.kind === 'addon_added')
    const removed = plan.events.filter((e) => e.kind === 'addon_removed')
    expect(added.length).toBeGreaterThan(0)
    expect(removed.length).toBeGreaterThan(0)
    for (const event of added) {
      const until = removed.find((e) => e.customer === event.customer)?.month ?? MONTHS + 1
      const currency = plan.customers[event.customer]!.terms!.currency
      for (let month = 0; month <= MONTHS; month++) {
        const rows = rowsOf(event.customer, month)
        const addon = rows.filter((row) => row.plan === 'support')
        const on = month >= event.month && month < until
        expect({month, customer: event.customer, items: rows.length}).toEqual({
          month,
          customer: event.customer,
          items: on ? 2 : 1,
        })
        if (!on) continue
        const [item] = addon
        const base = rows.find((row) => row.plan !== 'support')!
        expect(item).toMatchObject({
          subscription_id: base.subscription_id,
          status: 'active',
          currency,
          interval: 'month',
          interval_count: 1,
          unit_amount: ADDON[currency],
          quantity: 1,
          list_mrr: ADDON[currency],
          excluded: null,
        })
        expect(item!.item_id).not.toBe(base.item_id)
        // A forever percentage on the subscription lowers both items (SB-56, SB-M2); nothing else does here.
        const forever = item!.discounts.filter((d) => d.counted && d.percent_off !== null)
        const factor = forever.reduce((f, d) => f * (1 - d.percent_off! / 100), 1)
        expect(item!.mrr).toBe(Math.floor(ADDON[currency]! * factor + 0.5))
      }
    }
  })

  it('moves the customer’s MRR by the add-on: an expansion in the month it is added, a contraction in the month it is removed', () => {
    const movement = (customer: number, month: number) =>
      ledger.customers.find(
        (row) => customerIndex.get(row.customer_id) === customer && row.month === ledger.months[month],
      )
    const addonMrr = (customer: number, month: number) =>
      rowsOf(customer, month).find((row) => row.plan === 'support')?.mrr ?? 0
    const baseMrr = (customer: number, month: number) =>
      rowsOf(customer, month).find((row) => row.plan !== 'support')!.mrr
    const seen = new Set<string>()
    for (const event of plan.events.filter((e) => e.kind.startsWith('addon_'))) {
      const {customer, month} = event
      // Only the add-on changed that month (a coupon added the same month changes the plan's item too).
      if (baseMrr(customer, month) !== baseMrr(customer, month - 1)) continue
      const row = movement(customer, month)!
      if (event.kind === 'addon_added')
        expect(row).toMatchObject({movement: 'expansion', change: addonMrr(customer, month)})
      else expect(row).toMatchObject({movement: 'contraction', change: -addonMrr(customer, month - 1)})
      seen.add(row.movement!)
    }
    expect(seen).toEqual(new Set(['expansion', 'contraction']))
  })

  it('is in the run details as requests the run sent, and `run verify` (latest month, then every renewal) finds Stripe as the ledger says', async () => {
    const details = RunDetailsFileSchema.parse(JSON.parse(await readFile(outFile(outDir, 'runDetails'), 'utf8')))
    const kinds = details.events.map((e) => e.kind)
    expect(kinds.filter((k) => k === 'addon_added')).toHaveLength(
      plan.events.filter((e) => e.kind === 'addon_added').length,
    )
    expect(kinds.filter((k) => k === 'addon_removed')).toHaveLength(
      plan.events.filter((e) => e.kind === 'addon_removed').length,
    )
    const gateway = gatewayFor(emulator, config())
    try {
      const latest = await verifyRun(gateway, outDir)
      // Stripe as the ledger says, and sub_snapshots.json (a row per item) as the ledger derives it.
      expect(latest.ledger?.mismatches).toEqual([])
      expect(latest.mismatches).toEqual([])
      expect(latest.ok).toBe(true)
      const all = await verifyRun(gateway, outDir, {months: 'all'})
      // The add-on's customers' renewals bill both items, a line each (other saas stories are not this test's).
      const addonCustomers = new Set(plan.events.filter((e) => e.kind === 'addon_added').map((e) => e.customer))
      expect(all.renewals!.mismatches.filter((m) => addonCustomers.has(customerIndex.get(m.customerId)!))).toEqual([])
      expect(all.renewals!.checked).toBeGreaterThan(0)
    } finally {
      await gateway.close()
    }
  })
})
