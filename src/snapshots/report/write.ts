import {join} from 'node:path'

import {UserError} from '../../errors.js'
import {writeFileAtomic} from '../../files/atomic.js'
import type {LedgerSource} from '../../ledger/store.js'
import type {Comparison} from '../compare/compare.js'
import {type CompareRequest, compareFile} from '../compare/from-file.js'
import {readViewInput} from '../read.js'
import {chartJsBundle, renderReportHtml} from './html.js'
import {reportModel} from './model.js'

export const REPORT_FILE_NAME = 'mrr_report.html'

export interface ReportResult {
  source: LedgerSource
  read: string
  months: number
  file: string
  bytes: number
  /** With --compare: the user's numbers against the ledger, also shown in the page. */
  comparison?: Comparison
}

/** Reads the ledger (else today's snapshots) from outDir and writes the self-contained HTML report beside it. */
export async function writeReport(outDir: string, options: {compare?: CompareRequest} = {}): Promise<ReportResult> {
  const {ledger, source, path, plans} = await readViewInput(outDir)
  if (options.compare && source !== 'ledger')
    throw new UserError(
      `--compare needs mrr_ledger.json in ${outDir}: sub_snapshots.json lacks the facts that explain a difference`,
    )
  const comparison = options.compare ? await compareFile(ledger, options.compare) : undefined
  const compared = comparison && options.compare ? {comparison, file: options.compare.file} : undefined
  const html = renderReportHtml(reportModel(ledger, source, path, plans), await chartJsBundle(), compared)
  const file = join(outDir, REPORT_FILE_NAME)
  await writeFileAtomic(file, html)
  return {
    source,
    read: path,
    months: ledger.months.length,
    file,
    bytes: Buffer.byteLength(html),
    ...(comparison ? {comparison} : {}),
  }
}
