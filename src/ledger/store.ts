import {access} from 'node:fs/promises'

import {readJsonFile, writeJsonFile} from '../files/atomic.js'
import {PricesFileSchema, SnapshotsFileSchema, outFile} from '../files/formats.js'
import {type LedgerFile, LedgerFileSchema, ledgerFile} from '../files/ledger.js'
import {MrrDefinitionsSchema} from './definitions.js'
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
 * ledger (monthly prices, no discounts, in the currency stripe_prices.json names, else usd).
 */
export async function readLedgerForViews(
  outDir: string,
): Promise<{ledger: LedgerFile; source: LedgerSource; path: string}> {
  const path = ledgerFile(outDir)
  if (await exists(path))
    return {
      ledger: await readJsonFile(path, LedgerFileSchema, {missingHint: 'run `stripe-seed run generate` first'}),
      source: 'ledger',
      path,
    }
  const snapshots = outFile(outDir, 'snapshots')
  const rows = await readJsonFile(snapshots, SnapshotsFileSchema, {
    missingHint: 'run `stripe-seed run generate` first (or pass --out-dir)',
  })
  const pricesPath = outFile(outDir, 'prices')
  const currency = (await exists(pricesPath))
    ? (await readJsonFile(pricesPath, PricesFileSchema, {missingHint: ''})).plans[0]?.currency
    : undefined
  return {
    ledger: ledgerFromSnapshots(rows, MrrDefinitionsSchema.parse({reportingCurrency: currency ?? 'usd'})),
    source: 'snapshots',
    path: snapshots,
  }
}
