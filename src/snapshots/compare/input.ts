import {parse as parseCsv} from 'csv-parse/sync'

import {UsageError, errorMessage} from '../../errors.js'
import {minorUnitExponent} from '../../ledger/definitions.js'
import {roundHalfUp} from '../../ledger/mrr.js'
import {isValidMonth} from '../../render/month.js'
import {jsonProblem} from '../../files/atomic.js'

/**
 * The user's own MRR numbers, as `snapshots compare` reads them: CSV or JSON rows, per customer or
 * per subscription per month, or totals per month. Pure: the command reads the file, this parses it.
 */

export const THEIR_FIELDS = ['month', 'customer_id', 'subscription_id', 'mrr', 'currency'] as const
export type TheirField = (typeof THEIR_FIELDS)[number]
export type Grain = 'customer' | 'subscription' | 'total'
export type Unit = 'cents' | 'units'

export interface TheirRow {
  /** 1-based, counting the header line for CSV; the array index + 1 for JSON. */
  row: number
  month: string
  /** customer_id or subscription_id; '' for totals. */
  key: string
  currency: string | null
  /** In the currency's minor unit. */
  mrr: number
}

export interface TheirNumbers {
  grain: Grain
  /** Whether the rows carry a currency; without one every amount is in the ledger's reporting currency. */
  hasCurrency: boolean
  rows: TheirRow[]
}

export interface ParseOptions {
  /** Names the file in errors. */
  file: string
  format: 'csv' | 'json'
  /** Our field → their column name, for the fields they name differently. */
  columns?: Partial<Record<TheirField, string>>
  unit: Unit
  /** The currency of rows without one (the ledger's reporting currency): decides the minor unit. */
  defaultCurrency: string
}

/** `--columns month=period,mrr=amount` → {month: 'period', mrr: 'amount'}. */
export function parseColumnsFlag(value: string | undefined): Partial<Record<TheirField, string>> {
  const columns: Partial<Record<TheirField, string>> = {}
  if (value === undefined || value.trim() === '') return columns
  for (const pair of value.split(',')) {
    const [field, column, ...rest] = pair.split('=').map((part) => part.trim())
    if (!field || !column || rest.length > 0)
      throw new UsageError(`--columns takes field=column pairs separated by commas, got "${pair}"`)
    if (!(THEIR_FIELDS as readonly string[]).includes(field))
      throw new UsageError(`--columns: "${field}" is not a field; the fields are ${THEIR_FIELDS.join(', ')}`)
    columns[field as TheirField] = column
  }
  return columns
}

export function formatOf(file: string): 'csv' | 'json' {
  if (/\.json$/i.test(file)) return 'json'
  if (/\.(csv|txt)$/i.test(file)) return 'csv'
  throw new UsageError(`${file}: compare reads .csv or .json files`)
}

export function parseTheirNumbers(text: string, options: ParseOptions): TheirNumbers {
  const fail = (message: string): never => {
    throw new UsageError(`${options.file}: ${message}`)
  }
  const expected = EXPECTED[options.format]
  if (text.trim() === '') fail(`the file is empty; ${expected}`)
  const records = options.format === 'csv' ? csvRecords(text, fail) : jsonRecords(text, fail)
  if (records.length === 0) fail(`no rows${options.format === 'csv' ? ' under the header' : ''}; ${expected}`)
  const column = (field: TheirField) => options.columns?.[field] ?? field
  const present = new Set(records.flatMap(({values}) => Object.keys(values)))
  for (const field of ['month', 'mrr'] as const)
    if (!present.has(column(field)))
      fail(`no "${column(field)}" column${options.columns?.[field] ? '' : ` (map yours with --columns ${field}=NAME)`}`)
  const keyField: TheirField | null = present.has(column('customer_id'))
    ? 'customer_id'
    : present.has(column('subscription_id'))
      ? 'subscription_id'
      : null
  const grain: Grain =
    keyField === 'customer_id' ? 'customer' : keyField === 'subscription_id' ? 'subscription' : 'total'
  const hasCurrency = present.has(column('currency'))

  const rows = records.map(({row, values}): TheirRow => {
    const cell = (field: TheirField) => {
      const value = values[column(field)]
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- csv-parse gives every cell as a string
      return value === undefined || value === null ? '' : String(value).trim()
    }
    const at = `row ${row}`
    const month = cell('month')
    if (!/^\d{4}-\d{2}$/.test(month)) fail(`${at}: month "${month}" is not YYYY-MM`)
    if (!isValidMonth(month)) fail(`${at}: "${month}" is not a valid month`)
    const key = keyField === null ? '' : cell(keyField)
    if (keyField !== null && key === '') fail(`${at}: ${column(keyField)} is empty`)
    let currency: string | null = null
    if (hasCurrency) {
      currency = cell('currency').toLowerCase()
      if (!/^[a-z]{3}$/.test(currency)) fail(`${at}: currency "${cell('currency')}" is not a 3-letter ISO code`)
    }
    const amount = cell('mrr')
    const number = Number(amount)
    if (amount === '' || !Number.isFinite(number)) fail(`${at}: ${column('mrr')} "${amount}" is not a number`)
    if (number < 0) fail(`${at}: ${column('mrr')} ${amount} is negative; MRR is never below 0`)
    let mrr = number
    if (options.unit === 'cents') {
      if (!Number.isInteger(number))
        fail(`${at}: ${column('mrr')} ${amount} is not a whole number of cents (pass --unit units for major units)`)
    } else mrr = roundHalfUp(number * 10 ** minorUnitExponent(currency ?? options.defaultCurrency))
    return {row, month, key, currency, mrr}
  })
  return {grain, hasCurrency, rows}
}

/** What a file of each format should hold: the "what to do" of an empty or unreadable one. */
const EXPECTED = {
  csv: 'write a header line (month,customer_id,mrr or month,mrr), then one line per month (and customer)',
  json: 'write an array of {"month": "YYYY-MM", "customer_id": …, "mrr": …} objects (customer_id optional)',
} as const

type Fail = (message: string) => never
type RawRecord = {row: number; values: Record<string, unknown>}

/** csv-parse handles quoting, embedded commas and newlines, BOMs and CRLF, which a split(',') gets wrong. */
function csvRecords(text: string, fail: Fail): RawRecord[] {
  let records: Array<Record<string, string>>
  try {
    records = parseCsv<Record<string, string>>(text, {columns: true, skip_empty_lines: true, trim: true, bom: true})
  } catch (error) {
    return fail(errorMessage(error))
  }
  // Row numbers as a spreadsheet shows them: the header is row 1.
  return records.map((values, index) => ({row: index + 2, values}))
}

function jsonRecords(text: string, fail: Fail): RawRecord[] {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return fail(`${jsonProblem(error, text)}; ${EXPECTED.json}`)
  }
  const list = Array.isArray(json)
    ? json
    : typeof json === 'object' && json !== null && Array.isArray((json as {rows?: unknown}).rows)
      ? (json as {rows: unknown[]}).rows
      : fail(`not an array of rows (nor {"rows": [...]}); ${EXPECTED.json}`)
  return list.map((values, index) => {
    if (typeof values !== 'object' || values === null || Array.isArray(values))
      fail(`row ${index + 1}: expected an object with month, mrr, …`)
    return {row: index + 1, values: values as Record<string, unknown>}
  })
}
