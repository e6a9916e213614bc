import {access} from 'node:fs/promises'
import {relative, resolve} from 'node:path'
import type {z} from 'zod'

import {readJsonFile} from '../files/atomic.js'
import {PricesFileSchema, type SnapshotRow, SnapshotsFileSchema, outFile} from '../files/formats.js'
import {type LedgerFile, LedgerFileSchema, ledgerFile} from '../files/ledger.js'
import {MrrDefinitionsSchema} from '../ledger/definitions.js'
import {type PlanCatalog, planCatalog} from '../ledger/plans.js'
import {ledgerFromSnapshots} from '../ledger/snapshot-rows.js'
import type {LedgerSource} from '../ledger/store.js'

/**
 * What the views (show, export, report, compare) read from --out-dir, each file checked against
 * the schema its writer uses. A file that is missing, empty, cut short or not what its writer
 * writes is a one-line error (exit 1) naming the file, what is wrong with it and the command that
 * writes it again: the views never call Stripe, so they cannot repair it themselves.
 */

export interface ViewInput {
  ledger: LedgerFile
  source: LedgerSource
  /** The file the numbers came from. */
  path: string
  plans: PlanCatalog
}

interface FileKind {
  /** What to do when it is not there. */
  missing: string
  /** What to do when it is there but unusable: the command that writes it again. */
  rewrite: string
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )

/** ` --out-dir DIR` unless DIR is the default, so the command in a hint runs as printed. */
function outDirFlag(outDir: string): string {
  if (resolve(outDir) === resolve('config')) return ''
  const shown = relative(process.cwd(), outDir)
  return ` --out-dir ${shown === '' ? '.' : shown.startsWith('..') ? outDir : shown}`
}

/** The files `run generate` writes at the end of a run: --resume writes them for an interrupted one. */
function runFile(outDir: string): FileKind {
  const flag = outDirFlag(outDir)
  return {
    missing: 'run `stripe-seed run generate` first (or pass --out-dir)',
    rewrite: `write it again with \`stripe-seed run generate${flag} --resume\` (an interrupted run) or a new \`run generate\``,
  }
}

function pricesFile(outDir: string): FileKind {
  const flag = outDirFlag(outDir)
  return {
    missing: 'run `stripe-seed prices seed` (or pass --out-dir)',
    rewrite: `write it again with \`stripe-seed prices seed${flag}\``,
  }
}

/** One of the views' files, read with what to do when it is missing or unusable. */
const readViewFile = <S extends z.ZodType>(path: string, schema: S, kind: FileKind): Promise<z.output<S>> =>
  readJsonFile(path, schema, {missingHint: kind.missing, rewriteHint: kind.rewrite})

/** sub_snapshots.json: the nine-column rows of every month. */
export async function readSnapshotRows(outDir: string): Promise<{rows: SnapshotRow[]; path: string}> {
  const path = outFile(outDir, 'snapshots')
  return {rows: await readViewFile(path, SnapshotsFileSchema, runFile(outDir)), path}
}

/** mrr_ledger.json itself, for compare: sub_snapshots.json lacks the facts that explain a difference. */
export async function readLedgerForCompare(outDir: string): Promise<{ledger: LedgerFile; path: string}> {
  const path = ledgerFile(outDir)
  const kind = runFile(outDir)
  return {
    ledger: await readViewFile(path, LedgerFileSchema, {...kind, missing: `${kind.missing}; compare needs the ledger`}),
    path,
  }
}

/**
 * What show, export and report read: the ledger when the run wrote one, else sub_snapshots.json
 * read as a ledger (monthly prices, no discounts, in the currency stripe_prices.json names, else
 * usd), and the plans' names and order from stripe_prices.json when it is there.
 */
export async function readViewInput(outDir: string): Promise<ViewInput> {
  const pricesPath = outFile(outDir, 'prices')
  const prices = (await exists(pricesPath))
    ? await readViewFile(pricesPath, PricesFileSchema, pricesFile(outDir))
    : undefined
  const path = ledgerFile(outDir)
  if (await exists(path)) {
    const ledger = await readViewFile(path, LedgerFileSchema, runFile(outDir))
    return {ledger, source: 'ledger', path, plans: planCatalog(ledger, prices)}
  }
  const {rows, path: snapshots} = await readSnapshotRows(outDir)
  const currency = prices?.plans[0]?.currency
  const ledger = ledgerFromSnapshots(rows, MrrDefinitionsSchema.parse({reportingCurrency: currency ?? 'usd'}))
  return {ledger, source: 'snapshots', path: snapshots, plans: planCatalog(ledger, prices)}
}
