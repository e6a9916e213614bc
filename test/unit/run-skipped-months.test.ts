import {describe, expect, it} from 'vitest'

import {addIntervals, simulationStart} from '../../src/billing-time.js'
import {type RunningEmulator, startEmulator} from '../../src/emulator/server.js'
import type {InvoiceRecord} from '../../src/emulator/resources/invoices/record.js'
import {groupBy} from '../../src/group-by.js'
import {replayJournal} from '../../src/run/clock-state.js'
import {listJournals} from '../../src/run/journal.js'
import {checkInferredMonths} from '../../src/run/renewal-check.js'
import {verifyRun} from '../../src/run/verify.js'
import {customerStopMonths, freePlans, stopsFor} from '../../src/scenario/clock-stops.js'
import {planScenario} from '../../src/scenario/plan.js'
import {FAST} from '../helpers/emulator.js'
import {fastConfig, gatewayFor, runService, seedEmulatorPrices} from '../helpers/run-service.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
const CUSTOMERS = 30
const MONTHS = 6
const SEED = 7

async function workspace(
  events?: NonNullable<Parameters<typeof startEmulator>[0]>['events'],
): Promise<{emulator: RunningEmulator; outDir: string}> {
  const emulator = await startEmulator({...FAST, log: true, ...(events ? {events} : {})})
  const outDir = await tempDir()
  await seedEmulatorPrices(emulator, outDir)
  return {emulator, outDir}
}

/** The plan runService makes (its run id aside, which changes neither events nor expected months). */
function thePlan(clockStops: 'events' | 'monthly' = 'events') {
  return planScenario({
    config: {...fastConfig(), clockStops},
    customers: CUSTOMERS,
    months: MONTHS,
    seed: SEED,
    startTime: simulationStart(new Date(), MONTHS),
    runId: 'x',
  })
}

function stopsOf(scenario: ReturnType<typeof thePlan>, clock: number): number[] {
  const byCustomer = groupBy(scenario.events, (e) => e.customer)
  return stopsFor(
    scenario.clocks[clock]!.customers.flatMap((c) =>
      customerStopMonths(byCustomer.get(c) ?? [], MONTHS, freePlans(scenario.plans)),
    ),
    MONTHS,
  )
}

const advances = (emulator: RunningEmulator) =>
  emulator.requestLog.filter((e) => e.method === 'POST' && e.path.endsWith('/advance') && e.status === 200).length

describe('clocks stop only where something happens', () => {
  it('advances only to its stops, writes the months between, and Stripe renewal invoices confirm them', async () => {
    const {emulator, outDir} = await workspace()
    try {
      const scenario = thePlan()
      const result = await runService(emulator, outDir, {customers: CUSTOMERS, months: MONTHS, seed: SEED})
      expect(result.status).toBe('complete')
      // Every month equals the plan's expected MRR, the skipped ones included.
      expect(result.mrrByMonth.map((m) => m.mrrCents)).toEqual(scenario.expected.map((m) => m.mrrCents))
      // One advance per stop, and fewer than one a month.
      const total = scenario.clocks.reduce((sum, clock) => sum + stopsOf(scenario, clock.index).length, 0)
      expect(advances(emulator)).toBe(total)
      expect(total).toBeLessThan(scenario.clocks.length * MONTHS)
      expect(result.renewals?.inferredMonths).toBe(scenario.clocks.length * MONTHS - total)
      expect(result.renewals?.checked).toBeGreaterThan(0)
      expect(result.renewals?.mismatches).toEqual([])
      // The readings after skipped months brought the renewals: the check cost no request of its own.
      expect(emulator.requestLog.filter((e) => e.path.startsWith('/v1/invoices'))).toEqual([])

      const gateway = gatewayFor(emulator, fastConfig())
      try {
        // A journal written before readings carried renewals (resumed by this version): the check lists invoices and agrees.
        const [journal] = (await listJournals(outDir)).journals
        const older = journal!.entries.map((entry) => {
          if (entry.type !== 'month') return entry
          const {renewals: _renewals, ...rest} = entry
          return rest
        })
        const listed = await checkInferredMonths(gateway, replayJournal(older, scenario.clocks.length))
        expect(listed).toEqual(result.renewals)
        expect(emulator.requestLog.filter((e) => e.path.startsWith('/v1/invoices')).length).toBeGreaterThan(0)

        const verified = await verifyRun(gateway, outDir, {months: 'all'})
        expect(verified.ok).toBe(true)
        expect(verified.renewals?.months).toHaveLength(MONTHS)
        expect(verified.renewals!.checked).toBeGreaterThan(result.renewals!.checked)
      } finally {
        await gateway.close()
      }
    } finally {
      await emulator.close()
    }
  })

  it('clockStops monthly advances every clock every month, as before', async () => {
    const {emulator, outDir} = await workspace()
    try {
      const scenario = thePlan('monthly')
      const result = await runService(emulator, outDir, {
        customers: CUSTOMERS,
        months: MONTHS,
        seed: SEED,
        config: {...fastConfig(), clockStops: 'monthly'},
      })
      expect(result.status).toBe('complete')
      expect(result.mrrByMonth.map((m) => m.mrrCents)).toEqual(scenario.expected.map((m) => m.mrrCents))
      expect(advances(emulator)).toBe(scenario.clocks.length * MONTHS)
      expect(result.renewals).toBeUndefined()
    } finally {
      await emulator.close()
    }
  })

  it('a renewal Stripe billed with another quantity than the month written: the run says so and verify fails', async () => {
    const scenario = thePlan()
    // The fault: as Stripe makes it, one renewal invoice confirming a skipped month bills one seat more.
    // Month 3's renewal confirms month 2, which a clock stopping at 1, 3, 5 and 6 skipped.
    let faulted: InvoiceRecord | undefined
    const renewal3 = addIntervals(scenario.startTime, 'month', 3)
    const fault = (invoiceId: string) => {
      const invoice = emulator.engine.invoices.get(invoiceId)
      if (faulted || !invoice) return
      const customer = Number(emulator.engine.customers.get(invoice.customer)?.metadata.stripe_seed_customer)
      if (
        invoice.billingReason === 'subscription_cycle' &&
        invoice.lines.length === 1 &&
        invoice.lines[0]!.periodStart === renewal3 &&
        !stopsOf(scenario, scenario.customers[customer]!.clock).includes(2)
      ) {
        faulted = invoice
        invoice.lines[0]!.quantity += 1
      }
    }
    const {emulator, outDir} = await workspace({
      emit: (change) => {
        if (change.type === 'invoice.created') fault(String(change.object.id))
      },
    })
    try {
      const result = await runService(emulator, outDir, {customers: CUSTOMERS, months: MONTHS, seed: SEED})
      expect(faulted).toBeDefined()
      expect(result.renewals?.mismatches).toEqual([
        expect.objectContaining({field: 'quantity', customerId: faulted!.customer}),
      ])
      const gateway = gatewayFor(emulator, fastConfig())
      try {
        const verified = await verifyRun(gateway, outDir, {months: 'all'})
        expect(verified.ok).toBe(false)
        expect(verified.renewals?.mismatches).toEqual([
          expect.objectContaining({field: 'quantity', customerId: faulted!.customer}),
        ])
        // Without --months all, the latest month alone still agrees.
        expect((await verifyRun(gateway, outDir)).ok).toBe(true)
      } finally {
        await gateway.close()
      }
    } finally {
      await emulator.close()
    }
  })
})
