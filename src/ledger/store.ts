import {access} from 'node:fs/promises'

import {readJsonFile, writeJsonFile} from '../files/atomic.js'
import {PricesFileSchema, SnapshotsFileSchema, outFile} from '../files/formats.js'
import {type LedgerFile, LedgerFileSchema, ledgerFile} from '../files/ledger.js'
import {MrrDefinitionsSchema} from './definitions.js'
import {type PlanCatalog, planCatalog} from './plans.js'
import {ledgerFromSnapshots} from './snapshot-rows.js'

export type LedgerSource = 'ledger' | 'snapshots'

/** Writes mrr_ledger.json (validated, atomically): what the run calls once its months are read. */
export async function writeLedger(outDir: string, ledger: LedgerFile): Promise<string> {
  const path = ledgerFile(outDir)
  await writeJsonFile(path, LedgerFileSchema, ledger)
  return path
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )

/** mrr_ledger.json itself, for views that need its facts (compare): sub_snapshots.json cannot stand in. */
export async function readLedgerFile(outDir: string): Promise<{ledger: LedgerFile; path: string}> {
  const path = ledgerFile(outDir)
  return {
    ledger: await readJsonFile(path, LedgerFileSchema, {
      missingHint: 'run `stripe-seed run generate` first (or pass --out-dir); compare needs the ledger',
    }),
    path,
  }
}

/**
 * What views read: the ledger when the run wrote one, else today's sub_snapshots.json read as a
 * ledger (monthly prices, no discounts, in the currency stripe_prices.json names, else usd), and
 * the plans' names and order from stripe_prices.json when it is there.
 */
export async function readLedgerForViews(
  outDir: string,
): Promise<{ledger: LedgerFile; source: LedgerSource; path: string; plans: PlanCatalog}> {
  const pricesPath = outFile(outDir, 'prices')
  const prices = (await exists(pricesPath))
    ? await readJsonFile(pricesPath, PricesFileSchema, {missingHint: 'run `stripe-seed prices seed` again'})
    : undefined
  const path = ledgerFile(outDir)
  if (await exists(path)) {
    const ledger = await readJsonFile(path, LedgerFileSchema, {missingHint: 'run `stripe-seed run generate` first'})
    return {ledger, source: 'ledger', path, plans: planCatalog(ledger, prices)}
  }
  const snapshots = outFile(outDir, 'snapshots')
  const rows = await readJsonFile(snapshots, SnapshotsFileSchema, {
    missingHint: 'run `stripe-seed run generate` first (or pass --out-dir)',
  })
  const currency = prices?.plans[0]?.currency
  const ledger = ledgerFromSnapshots(rows, MrrDefinitionsSchema.parse({reportingCurrency: currency ?? 'usd'}))
  return {ledger, source: 'snapshots', path: snapshots, plans: planCatalog(ledger, prices)}
}
