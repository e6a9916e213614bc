import {afterEach, describe, expect, it} from 'vitest'

import {applyScenario} from '../../src/config/scenarios.js'
import {type RunningEmulator, startEmulator} from '../../src/emulator/server.js'
import {verifyRun} from '../../src/run/verify.js'
import {FAST} from '../helpers/emulator.js'
import {fastConfig, gatewayFor, runService} from '../helpers/run-service.js'
import {seedScenarioCatalog} from '../helpers/scenario-catalog.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
const running: RunningEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()))
})

describe('run verify --months all on a saas run', () => {
  // Seed 1 plans cancellations at period end and free plans upgraded mid-month (their renewals move
  // to the upgrade's day, SB-45): both read as "missing renewal" when a row was matched to the
  // renewal labelled with the next month instead of the first one after its reading.
  it('agrees with every renewal Stripe made, the moved anchors and the period-end cancellations included', async () => {
    const config = applyScenario({...fastConfig(), customers: 60, months: 6}, 'saas')
    const emulator = await startEmulator(FAST)
    running.push(emulator)
    const outDir = await tempDir()
    await seedScenarioCatalog(emulator, outDir, config)
    const result = await runService(emulator, outDir, {customers: 60, months: 6, seed: 1, config})
    expect(result.status).toBe('complete')
    // The plan has both kinds of subscription this test is about.
    const subscriptions = [...emulator.engine.subscriptions.values()]
    expect(subscriptions.some((sub) => sub.cancelAtPeriodEnd || sub.cancelAt !== null)).toBe(true)
    const invoices = [...emulator.engine.invoices.values()]
    expect(
      invoices.some(
        (invoice) =>
          invoice.billingReason === 'subscription_cycle' && new Date(invoice.periodStart * 1000).getUTCDate() !== 1,
      ),
    ).toBe(true)

    const gateway = gatewayFor(emulator, config)
    try {
      const verified = await verifyRun(gateway, outDir, {months: 'all'})
      expect(verified.renewals?.mismatches).toEqual([])
      expect(verified.renewals!.checked).toBeGreaterThan(100)
      expect(verified.ok).toBe(true)
    } finally {
      await gateway.close()
    }
  })
})
