import {CURRENCIES} from './currencies.js'
import {ApiError, invalid, notModelled} from './errors.js'
import contract from './stripe-contract.json' with {type: 'json'}

export {invalid}
export type Metadata = Record<string, string>

export type ParamsName = keyof typeof contract.params
export type Raw = Record<string, unknown>

/** A parameter's type in Stripe's spec, as scripts/extract-stripe-contract.mjs writes it (SB-C7). */
export type ParamSchema = {emptyable?: boolean} & (
  | {type: 'string'; enum?: string[]}
  | {type: 'number' | 'boolean' | 'any'}
  | {type: 'array'; items: ParamSchema}
  | {type: 'map'; values: ParamSchema}
  | {type: 'object'; properties: Record<string, ParamSchema>; required?: string[]}
  | {type: 'union'; anyOf: ParamSchema[]}
)
type ObjectSchema = Extract<ParamSchema, {type: 'object'}>

const SCHEMAS = contract.params as unknown as Record<ParamsName, ObjectSchema>

/** Every parameter Stripe's spec gives an operation, nested ones included, by its SDK interface name. */
export function paramSchema(name: ParamsName): ObjectSchema {
  return SCHEMAS[name]
}

/**
 * Checks a request's parameters against Stripe's spec for the endpoint (SB-2, SB-C7): unknown ones,
 * at any depth, are refused as Stripe refuses them (400 `parameter_unknown`), and so are values of
 * the wrong type or outside an enum; documented top-level ones the emulator does not model get a 501
 * naming them; the rest are handled or harmlessly ignored.
 */
export function checkParams(raw: Raw, name: ParamsName, handled: readonly string[], endpoint: string): void {
  checkValue(raw, SCHEMAS[name], '')
  const ok = new Set(handled)
  for (const key of Object.keys(raw)) if (!ok.has(key)) throw notModelled(`the parameter \`${key}\` on ${endpoint}`)
}

const unknownParam = (param: string) =>
  new ApiError(400, 'invalid_request_error', `Received unknown parameter: ${param}`, 'parameter_unknown', param)

const isPlainObject = (value: unknown): value is Raw =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** An array as the form encoding gives it: a list, or an object with index keys (`items[0]`, `items[1]`). */
function asList(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value as unknown[]
  if (isPlainObject(value) && Object.keys(value).every((key) => /^\d+$/.test(key))) return Object.values(value)
  return undefined
}

/** Enums whose module checks them against the same list with Stripe's own wording (SB-V3, SB-E6). */
const OWN_ENUM_CHECK = new Set(['api_version', 'enabled_events'])

/** Stripe's enum wording: "must be one of a, b, or c". */
function oneOfList(values: readonly string[]): string {
  return values.length <= 2 ? values.join(' or ') : `${values.slice(0, -1).join(', ')}, or ${values.at(-1)}`
}

/** Whether a value has the shape a schema member takes, to pick a union's member by it. */
function shapeFits(value: unknown, schema: ParamSchema): boolean {
  switch (schema.type) {
    case 'object':
    case 'map':
      return isPlainObject(value)
    case 'array':
      return asList(value) !== undefined
    case 'any':
      return true
    case 'union':
      return schema.anyOf.some((member) => shapeFits(value, member))
    default:
      return typeof value !== 'object' || value === null
  }
}

/** One value against its schema; `param` is its bracket path (`items[0][price]`), '' for the whole request. */
function checkValue(value: unknown, schema: ParamSchema, param: string): void {
  if (value === '' && (schema.emptyable || schema.type === 'string' || schema.type === 'any')) return
  const at = (key: string | number) => (param === '' ? String(key) : `${param}[${key}]`)
  switch (schema.type) {
    case 'any':
      return
    case 'string': {
      if (typeof value !== 'string' && typeof value !== 'number') throw invalid(`Invalid string: ${param}`, param)
      const text = String(value)
      if (
        schema.enum &&
        schema.enum.length > 0 &&
        !schema.enum.includes(text) &&
        !OWN_ENUM_CHECK.has(param.split('[')[0] ?? '')
      )
        throw invalid(`Invalid ${param}: must be one of ${oneOfList(schema.enum)}`, param)
      // The spec types every `currency` with the currency format: Stripe's list (SB-C1).
      if (/(^|\[)currency\]?$/.test(param)) currency(text, param)
      return
    }
    case 'number': {
      const text = typeof value === 'number' ? String(value) : value
      if (typeof text === 'string' && /^-?\d+(\.\d+)?$/.test(text)) return
      if (param.endsWith('_decimal')) throw invalid(`Invalid decimal: ${String(value)}`, param)
      throw invalid(`Invalid integer: ${String(value)}`, param, 'parameter_invalid_integer')
    }
    case 'boolean':
      bool(value, param)
      return
    case 'array': {
      const list = asList(value)
      if (!list) throw invalid('Invalid array', param)
      list.forEach((item, index) => checkValue(item, schema.items, at(index)))
      return
    }
    case 'map':
      if (!isPlainObject(value)) throw invalid('Invalid object', param)
      for (const [key, item] of Object.entries(value)) checkValue(item, schema.values, at(key))
      return
    case 'object': {
      if (!isPlainObject(value)) throw invalid('Invalid object', param)
      for (const [key, item] of Object.entries(value)) {
        const property = schema.properties[key]
        if (!property) throw unknownParam(at(key))
        checkValue(item, property, at(key))
      }
      return
    }
    case 'union': {
      const fitting = schema.anyOf.filter((member) => shapeFits(value, member))
      let first: Error | undefined
      for (const member of fitting) {
        try {
          checkValue(value, member, param)
          return
        } catch (error) {
          first ??= error as Error
        }
      }
      if (first) throw first
      throw invalid(`Invalid ${param}`, param)
    }
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
