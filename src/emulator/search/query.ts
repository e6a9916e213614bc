import {invalid} from '../errors.js'

/**
 * Stripe's search query language (SB-P10 – SB-P13): clauses `field:value`, `field~value`,
 * `field>n` (and `<`, `>=`, `<=`, `=`), `metadata["key"]:value`, `-` negating a clause, clauses
 * joined by spaces or AND, or by OR, never both, without parentheses, at most 10.
 */
export type Operator = ':' | '~' | '>' | '<' | '>=' | '<=' | '='

export interface Clause {
  negated: boolean
  /** `email`, or `metadata` with `key` set. */
  field: string
  key?: string
  operator: Operator
  /** A quoted string, a number, or null (the unquoted word `null`). */
  value: string | number | null
}

export interface Query {
  join: 'AND' | 'OR'
  clauses: Clause[]
}

export type FieldType = 'string' | 'token' | 'number' | 'timestamp' | 'boolean' | 'metadata'

/** A searchable field: its type, whether `~` applies (SB-P12), and how to read it off the rendered object. */
export interface SearchField {
  type: FieldType
  substring?: boolean
  read: (object: Record<string, unknown>) => unknown
}

const MAX_CLAUSES = 10 // SB-P10

function unsupported(what: string): never {
  throw invalid(`The emulator's search does not support ${what} in \`query\` (docs.stripe.com/search).`, 'query')
}

/** Parses a query, checking each clause against the resource's fields; a 400 names what is not supported. */
export function parseQuery(text: string, resource: string, fields: Record<string, SearchField>): Query {
  const clauses: Clause[] = []
  const joins = new Set<'AND' | 'OR'>()
  let at = 0
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text[at]!)) at++
  }
  skipSpace()
  if (at >= text.length) throw invalid('The query is empty.', 'query')
  while (at < text.length) {
    if (clauses.length > 0) {
      const word = /^(and|or)\s+/i.exec(text.slice(at))
      if (word) {
        joins.add(word[1]!.toUpperCase() as 'AND' | 'OR')
        at += word[0].length
      } else joins.add('AND') // a space joins like AND (SB-P10)
    }
    if (text[at] === '(' || text[at] === ')') unsupported('parentheses')
    const negated = text[at] === '-'
    if (negated) at++
    const name = /^[a-z_][a-z0-9_.]*/.exec(text.slice(at))?.[0]
    if (!name) unsupported(`the clause starting at character ${at + 1} (expected a field name)`)
    at += name.length
    let key: string | undefined
    if (text[at] === '[') {
      const bracket = /^\[\s*(["'])((?:\\.|(?!\1).)*)\1\s*\]/.exec(text.slice(at))
      if (!bracket) unsupported(`the key of \`${name}[…]\` (write metadata["key"])`)
      key = unescape(bracket[2]!)
      at += bracket[0].length
    }
    const field = fields[name]
    if (!field || (field.type === 'metadata') !== (key !== undefined))
      throw invalid(
        `Field \`${name}${key === undefined ? '' : `["${key}"]`}\` is an unsupported search field for resource ${resource}. See https://docs.stripe.com/search#query-fields-for-${resource.replaceAll('_', '-')} for a list of supported fields.`,
        'query',
      )
    const operator = /^(>=|<=|:|~|>|<|=)/.exec(text.slice(at))?.[0] as Operator | undefined
    if (!operator) unsupported(`the operator after \`${name}\` (expected : ~ > < >= <= =)`)
    at += operator.length
    let value: string | number | null
    const quoted = /^(["'])((?:\\.|(?!\1).)*)\1/.exec(text.slice(at))
    const bare = /^[^\s()]+/.exec(text.slice(at))?.[0]
    if (quoted) {
      value = unescape(quoted[2]!)
      at += quoted[0].length
    } else if (bare !== undefined && /^-?\d+(\.\d+)?$/.test(bare)) {
      value = Number(bare)
      at += bare.length
    } else if (bare === 'null') {
      value = null
      at += bare.length
    } else unsupported(`the value after \`${name}${operator}\` (strings are quoted: ${name}${operator}"value")`)
    checkClause({negated, field: name, key, operator, value}, field)
    clauses.push({negated, field: name, ...(key === undefined ? {} : {key}), operator, value})
    skipSpace()
  }
  if (joins.size > 1) unsupported('AND and OR in the same query')
  if (clauses.length > MAX_CLAUSES) unsupported(`more than ${MAX_CLAUSES} clauses`)
  return {join: joins.has('OR') ? 'OR' : 'AND', clauses}
}

function unescape(text: string): string {
  return text.replaceAll(/\\(.)/g, '$1')
}

/** Which operators each field type takes (SB-P11, SB-P12). */
function checkClause(clause: Clause, field: SearchField): void {
  const {operator, value} = clause
  const name = clause.key === undefined ? clause.field : `${clause.field}["${clause.key}"]`
  const numeric = field.type === 'number' || field.type === 'timestamp'
  if (operator === '~') {
    if (!field.substring) unsupported(`\`~\` on \`${name}\` (substring matching applies to some string fields only)`)
    if (typeof value !== 'string' || value.length < 3) unsupported(`\`~\` with fewer than 3 characters`)
    return
  }
  if (operator !== ':' && !numeric) unsupported(`\`${operator}\` on \`${name}\`, which is not numeric`)
  if (operator !== ':' && typeof value !== 'number') unsupported(`\`${operator}\` with a value that is not a number`)
  if (numeric && value !== null && typeof value !== 'number')
    unsupported(`a quoted value for the numeric field \`${name}\``)
}

function matchesClause(object: Record<string, unknown>, clause: Clause, field: SearchField): boolean {
  const raw =
    clause.key === undefined
      ? field.read(object)
      : ((field.read(object) as Record<string, string> | null | undefined)?.[clause.key] ?? null)
  const {operator, value} = clause
  if (value === null) return raw === null || raw === undefined || raw === ''
  if (raw === null || raw === undefined) return false
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- searchable fields hold strings, numbers and booleans
  if (operator === '~') return String(raw).toLowerCase().includes(String(value).toLowerCase())
  if (typeof value === 'number') {
    const n = Number(raw)
    if (operator === '>') return n > value
    if (operator === '<') return n < value
    if (operator === '>=') return n >= value
    if (operator === '<=') return n <= value
    return n === value
  }
  // Exact matches ignore case (SB-P11).
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- as above
  return String(raw).toLowerCase() === value.toLowerCase()
}

export function matches(object: Record<string, unknown>, query: Query, fields: Record<string, SearchField>): boolean {
  const results = query.clauses.map((clause) => {
    const hit = matchesClause(object, clause, fields[clause.field]!)
    return clause.negated ? !hit : hit
  })
  return query.join === 'AND' ? results.every(Boolean) : results.some(Boolean)
}
