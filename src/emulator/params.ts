import {CURRENCIES} from './currencies.js'
import documented from './documented-params.json' with {type: 'json'}
import {ApiError, invalid, notModelled} from './errors.js'

export {invalid}
export type Metadata = Record<string, string>

export type ParamsName = keyof typeof documented
export type Raw = Record<string, unknown>

/**
 * Checks a request's top-level parameters against what Stripe documents for the endpoint (taken
 * from the SDK's generated types): unknown ones are refused as Stripe refuses them; documented ones
 * the emulator does not model get a 501 naming them; the rest are handled or harmlessly ignored (SB-2).
 */
export function checkParams(raw: Raw, name: ParamsName, handled: readonly string[], endpoint: string): void {
  const known = new Set<string>(documented[name])
  const ok = new Set(handled)
  for (const key of Object.keys(raw)) {
    if (!known.has(key))
      throw new ApiError(400, 'invalid_request_error', `Received unknown parameter: ${key}`, 'parameter_unknown', key)
    if (!ok.has(key)) throw notModelled(`the parameter \`${key}\` on ${endpoint}`)
  }
}

/** Nested keys (e.g. of `items[0]`), checked the same way. */
export function checkNested(
  raw: unknown,
  path: string,
  known: readonly string[],
  handled: readonly string[],
  endpoint: string,
): Raw {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`Invalid object`, path)
  for (const key of Object.keys(raw)) {
    if (!known.includes(key))
      throw new ApiError(
        400,
        'invalid_request_error',
        `Received unknown parameter: ${path}[${key}]`,
        'parameter_unknown',
        `${path}[${key}]`,
      )
    if (!handled.includes(key)) throw notModelled(`the parameter \`${path}[${key}]\` on ${endpoint}`)
  }
  return raw as Raw
}

export function required(raw: Raw, key: string): unknown {
  const value = raw[key]
  if (value === undefined || value === '')
    throw new ApiError(400, 'invalid_request_error', `Missing required param: ${key}.`, 'parameter_missing', key)
  return value
}

export function str(value: unknown, param: string): string {
  if (typeof value !== 'string') throw invalid(`Invalid string: ${param}`, param)
  return value
}

/** A three-letter currency Stripe supports, lowercased; anything else is refused as Stripe refuses it (SB-C1). */
export function currency(value: unknown, param: string): string {
  const code = str(value, param).toLowerCase()
  if (!CURRENCIES.has(code))
    throw invalid(
      `Invalid currency: ${code}. Stripe currently supports these currencies: ${[...CURRENCIES].join(', ')}`,
      param,
    )
  return code
}

export function optStr(value: unknown, param: string): string | null | undefined {
  if (value === undefined) return undefined
  if (value === '') return null // Stripe: an empty string unsets a field
  return str(value, param)
}

export function int(value: unknown, param: string, min = 0): number {
  const text = typeof value === 'number' ? String(value) : value
  if (typeof text !== 'string' || !/^-?\d+$/.test(text))
    throw new ApiError(
      400,
      'invalid_request_error',
      `Invalid integer: ${String(value)}`,
      'parameter_invalid_integer',
      param,
    )
  const n = Number(text)
  if (n < min)
    throw new ApiError(
      400,
      'invalid_request_error',
      `This value must be greater than or equal to ${min}.`,
      'parameter_invalid_integer',
      param,
    )
  return n
}

export function bool(value: unknown, param: string): boolean {
  // v1 takes `True`/`False` too, as older SDKs (python3-stripe 5) send them (SB-V19).
  const text = typeof value === 'string' ? value.toLowerCase() : value
  if (text === 'true' || text === true) return true
  if (text === 'false' || text === false) return false
  throw invalid(`Invalid boolean: ${String(value)}`, param)
}

export function strArray(value: unknown, param: string): string[] {
  if (value === undefined) return []
  const list = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null
      ? Object.values(value)
      : [value]
  return list.map((item) => str(item, `${param}[]`))
}

export function objectArray(value: unknown, param: string): Raw[] {
  if (value === undefined) return []
  const list = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null
      ? Object.values(value)
      : undefined
  if (!list) throw invalid(`Invalid array`, param)
  return list.map((item, index) => {
    if (typeof item !== 'object' || item === null) throw invalid(`Invalid object`, `${param}[${index}]`)
    return item as Raw
  })
}

/** `metadata[k]=v` sets, `metadata[k]=` deletes, `metadata=` clears (Stripe's rules). */
export function mergeMetadata(current: Metadata, value: unknown): Metadata {
  if (value === undefined) return current
  if (value === '') return {}
  if (typeof value !== 'object' || value === null) throw invalid('Invalid metadata', 'metadata')
  const next = {...current}
  for (const [key, v] of Object.entries(value)) {
    if (v === '') delete next[key]
    else next[key] = str(v, `metadata[${key}]`)
  }
  return next
}

export function optInt(value: unknown, param: string, min = 0): number | undefined {
  return value === undefined ? undefined : int(value, param, min)
}

export function optBool(value: unknown, param: string): boolean | undefined {
  return value === undefined ? undefined : bool(value, param)
}

/** One of Stripe's enum values, or a 400 listing them. */
export function oneOf<T extends string>(value: unknown, param: string, allowed: readonly T[]): T {
  const text = str(value, param)
  if (!(allowed as readonly string[]).includes(text))
    throw invalid(`Invalid ${param}: must be one of ${allowed.join(', ')}`, param)
  return text as T
}
