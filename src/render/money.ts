import {minorUnitExponent} from '../ledger/definitions.js'

/**
 * The one money format of every human view: currency-aware (the currency's symbol and minor unit),
 * with thousands separators, in a fixed locale so output is the same on every machine:
 * 4167000 usd → "$41,670.00", 1000 eur → "€10.00", 5000 jpy → "¥5,000". Machine output (CSV,
 * JSON) keeps plain numbers; this is for people.
 */
const formatters = new Map<string, Intl.NumberFormat>()

function formatter(currency: string): Intl.NumberFormat {
  const code = currency.toUpperCase()
  let format = formatters.get(code)
  if (!format) {
    const digits = minorUnitExponent(currency.toLowerCase())
    format = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: code,
      currencyDisplay: 'narrowSymbol',
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    })
    formatters.set(code, format)
  }
  return format
}

/** An amount in the currency's minor unit, e.g. cents: formatMoney(4167000, 'usd') → "$41,670.00". */
export function formatMoney(minor: number, currency: string): string {
  const major = minor / 10 ** minorUnitExponent(currency.toLowerCase())
  const text = formatter(currency).format(Math.abs(major))
  return minor < 0 ? `−${text}` : text
}

/** A change: "+$240.00", "−$240.00", or "·" for none (so a table's zero cells recede). */
export function formatChange(minor: number, currency: string): string {
  if (minor === 0) return '·'
  return `${minor > 0 ? '+' : '−'}${formatMoney(Math.abs(minor), currency)}`
}
