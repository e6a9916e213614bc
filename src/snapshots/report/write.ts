import {join} from 'node:path'

import {writeFileAtomic} from '../../files/atomic.js'
import {type LedgerSource, readLedgerForViews} from '../../ledger/store.js'
import {chartJsBundle, renderReportHtml} from './html.js'
import {reportModel} from './model.js'

export const REPORT_FILE_NAME = 'mrr_report.html'

export interface ReportResult {
  source: LedgerSource
  read: string
  months: number
  file: string
  bytes: number
}

/** Reads the ledger (else today's snapshots) from outDir and writes the self-contained HTML report beside it. */
export async function writeReport(outDir: string): Promise<ReportResult> {
  const {ledger, source, path} = await readLedgerForViews(outDir)
  const html = renderReportHtml(reportModel(ledger, source, path), await chartJsBundle())
  const file = join(outDir, REPORT_FILE_NAME)
  await writeFileAtomic(file, html)
  return {source, read: path, months: ledger.months.length, file, bytes: Buffer.byteLength(html)}
}
