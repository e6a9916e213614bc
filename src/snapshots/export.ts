import {join} from 'node:path'

import {writeFileAtomic} from '../files/atomic.js'
import {
  EXPORT_FILES,
  type ExportResult,
  customerChangesCsv,
  mrrPerSubscriberCsv,
  summaryCsv,
} from '../ledger/exports.js'
import {readViewInput} from './read.js'

/**
 * `snapshots export`: the three Billing-analytics CSVs the ledger's exports define, beside the file
 * they were made from. Read through the views' reader, so a damaged input is one line saying which
 * command writes it again.
 */
export async function exportCsvs(outDir: string): Promise<ExportResult> {
  const {ledger, source, path} = await readViewInput(outDir)
  const content: Record<keyof typeof EXPORT_FILES, string> = {
    mrrPerSubscriber: mrrPerSubscriberCsv(ledger),
    customerChanges: customerChangesCsv(ledger),
    summary: summaryCsv(ledger),
  }
  const files = {} as ExportResult['files']
  for (const name of Object.keys(EXPORT_FILES) as Array<keyof typeof EXPORT_FILES>) {
    files[name] = join(outDir, EXPORT_FILES[name])
    await writeFileAtomic(files[name], `${content[name]}\n`)
  }
  return {source, read: path, months: ledger.months.length, files}
}
