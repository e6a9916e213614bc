import {writeJsonFile} from '../files/atomic.js'
import {type LedgerFile, LedgerFileSchema, ledgerFile} from '../files/ledger.js'

/** Where the views' numbers came from: the ledger, or an older run's sub_snapshots.json read as one (src/snapshots/read.ts). */
export type LedgerSource = 'ledger' | 'snapshots'

/** Writes mrr_ledger.json (validated, atomically): what the run calls once its months are read. */
export async function writeLedger(outDir: string, ledger: LedgerFile): Promise<string> {
  const path = ledgerFile(outDir)
  await writeJsonFile(path, LedgerFileSchema, ledger)
  return path
}
