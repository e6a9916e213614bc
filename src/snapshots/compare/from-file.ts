import {readFile} from 'node:fs/promises'

import {UsageError, errorMessage} from '../../errors.js'
import type {LedgerFile} from '../../files/ledger.js'
import {type Comparison, compareWithLedger} from './compare.js'
import {type Unit, formatOf, parseColumnsFlag, parseTheirNumbers} from './input.js'

export interface CompareRequest {
  file: string
  /** The --columns flag as given. */
  columns?: string
  unit: Unit
  tolerance: number
}

/** Reads the user's file and compares it with the ledger: what `snapshots compare` and `report --compare` share. */
export async function compareFile(ledger: LedgerFile, request: CompareRequest): Promise<Comparison> {
  const format = formatOf(request.file)
  const columns = parseColumnsFlag(request.columns)
  let text: string
  try {
    text = await readFile(request.file, 'utf8')
  } catch (error) {
    throw new UsageError(`Cannot read ${request.file}: ${errorMessage(error)}`)
  }
  const theirs = parseTheirNumbers(text, {
    file: request.file,
    format,
    columns,
    unit: request.unit,
    defaultCurrency: ledger.definitions.reportingCurrency,
  })
  return compareWithLedger(ledger, theirs, {tolerance: request.tolerance})
}
