import {randomBytes} from 'node:crypto'
import {mkdir, open, readFile, rename, rm} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {z} from 'zod'

import {BugError, UserError, errorMessage} from '../errors.js'
import {formatZodIssues} from '../config/schema.js'

/**
 * Writes a file so that readers see the old content or the new, never a torn one: the data
 * goes to a temporary file beside the target, is flushed, then renamed over it.
 */
export async function writeFileAtomic(path: string, content: string | Iterable<string>): Promise<void> {
  const dir = dirname(path)
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    await mkdir(dir, {recursive: true})
    const handle = await open(temp, 'w', 0o644)
    try {
      if (typeof content === 'string') await handle.writeFile(content, 'utf8')
      else for (const chunk of content) await handle.write(chunk, null, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (error) {
    await rm(temp, {force: true}).catch(() => {})
    throw new UserError(`Cannot write ${path}: ${errorMessage(error)}`, {cause: error})
  }
}

/**
 * Validates with the file's schema before writing, so we never write a file our readers reject.
 * Our data is already in the schema's output shape, so it is written as given. A large array is
 * written in chunks (same bytes as JSON.stringify(data, null, 2)): 70,000 snapshot rows never
 * become one 17 MB string.
 */
export async function writeJsonFile<S extends z.ZodType>(
  path: string,
  schema: S,
  data: z.input<S> & z.output<S>,
): Promise<void> {
  const problem = firstProblem(schema, data)
  if (problem) throw new BugError(`refusing to write ${path}: ${problem}`)
  await writeFileAtomic(
    path,
    (function* () {
      yield* jsonChunks(data, '')
      yield '\n'
    })(),
  )
}

/** Arrays longer than this are validated item by item. */
const PIECEWISE_FROM = 500

/**
 * What the schema refuses in data, or undefined. zod's parse returns a copy, so a whole ledger
 * parsed at once is a second ledger in memory at the save, the run's peak: a long array is checked
 * item by item (each copy dropped at once), an object field by field, as the schema would. Only
 * schemas without checks of their own (refinements, length limits) are taken apart; their
 * elements keep theirs.
 */
function firstProblem(schema: z.ZodType, data: unknown, at = ''): string | undefined {
  const whole = () => {
    const parsed = schema.safeParse(data)
    return parsed.success ? undefined : `${at}${formatZodIssues(parsed.error)}`
  }
  if ((schema._zod.def.checks?.length ?? 0) > 0) return whole()
  if (schema instanceof z.ZodArray && Array.isArray(data) && data.length > PIECEWISE_FROM) {
    const element = schema.element as z.ZodType
    for (const [index, item] of data.entries()) {
      const parsed = element.safeParse(item)
      if (!parsed.success) return `${at}[${index}]: ${formatZodIssues(parsed.error)}`
    }
    return undefined
  }
  if (schema instanceof z.ZodObject && isPlainObject(data)) {
    const shape = schema.shape as Record<string, z.ZodType>
    // A strict object refuses unknown keys (a plain one strips them, as the readers do).
    const unknown =
      schema._zod.def.catchall instanceof z.ZodNever ? Object.keys(data).find((key) => !(key in shape)) : undefined
    if (unknown !== undefined) return `${at}unknown key "${unknown}"`
    for (const [key, field] of Object.entries(shape)) {
      const problem = firstProblem(field, data[key], `${at}${key}.`)
      if (problem) return problem
    }
    return undefined
  }
  return whole()
}

/**
 * The bytes of JSON.stringify(value, null, 2) at indentation `indent`, in pieces: arrays go out 500
 * items at a time, and a plain object's properties one by one, so a 70,000-row array (the snapshots,
 * the ledger's items) never becomes one string of tens of megabytes.
 */
export function* jsonChunks(value: unknown, indent: string, perChunk = 500): Generator<string> {
  const inner = `${indent}  `
  if (Array.isArray(value) && value.length > 0) {
    for (let start = 0; start < value.length; start += perChunk) {
      const chunk = value.slice(start, start + perChunk).map((item) => stringifyAt(item, inner))
      yield `${start === 0 ? `[\n${inner}` : `,\n${inner}`}${chunk.join(`,\n${inner}`)}`
    }
    yield `\n${indent}]`
    return
  }
  const entries = isPlainObject(value)
    ? Object.entries(value).filter(([, item]) => item !== undefined && typeof item !== 'function')
    : []
  if (entries.length === 0 || !entries.some(([, item]) => Array.isArray(item) && item.length > perChunk)) {
    yield stringifyAt(value, indent)
    return
  }
  for (const [index, [key, item]] of entries.entries()) {
    yield `${index === 0 ? '{' : ','}\n${inner}${JSON.stringify(key)}: `
    yield* jsonChunks(item, inner, perChunk)
  }
  yield `\n${indent}}`
}

function stringifyAt(value: unknown, indent: string): string {
  const text = JSON.stringify(value, null, 2)
  return indent === '' ? text : text.replaceAll('\n', () => `\n${indent}`)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype &&
    typeof (value as {toJSON?: unknown}).toJSON !== 'function'
  )
}

/**
 * Reads and validates one JSON file we write, or throws one line: the file, what is wrong with it
 * (missing, empty, cut short, not JSON, or the first field its schema refuses, by row) and what to
 * do: `missingHint` when it is not there, `rewriteHint` (the command that writes it again) when it
 * is there but unusable.
 */
export async function readJsonFile<S extends z.ZodType>(
  path: string,
  schema: S,
  options: {missingHint: string; rewriteHint?: string},
): Promise<z.output<S>> {
  const rewrite = options.rewriteHint ?? options.missingHint
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UserError(`${path} not found: ${options.missingHint}`)
    throw new UserError(`Cannot read ${path}: ${errorMessage(error)}`)
  }
  if (text.trim() === '') throw new UserError(`${path} is empty${rewrite ? `: ${rewrite}` : ''}`)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new UserError(`${path} is ${jsonProblem(error, text)}${rewrite ? `: ${rewrite}` : ''}`)
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success)
    throw new UserError(
      `${path} is malformed: ${describeIssue(parsed.error)}${options.rewriteHint ? `; ${options.rewriteHint}` : ''}`,
    )
  return parsed.data
}

/**
 * What is wrong with text JSON.parse refused: "cut short (…)" when the text ends before the
 * document does (a write that stopped part-way, a copy that lost its end), else "not valid JSON
 * (…)", with JSON.parse's own message and position.
 */
export function jsonProblem(error: unknown, text: string): string {
  const message = errorMessage(error)
  const position = /at position (\d+)/.exec(message)
  const cutShort =
    /end of JSON input|Unterminated string/i.test(message) ||
    (position !== null && Number(position[1]) >= text.trimEnd().length)
  return `${cutShort ? 'cut short' : 'not valid JSON'} (${message})`
}

/** The first problem, by where it is: `row 12, field mrr_cents: …` or `items row 3, field mrr: …`. */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'unknown problem'
  const message = issue.message.replace(/^Invalid input: /, '')
  const path = issue.path.map(String)
  const row = issue.path.findIndex((part) => typeof part === 'number')
  if (row === -1) return path.length === 0 ? message : `${path.join('.')}: ${message}`
  const field = path.slice(row + 1).join('.')
  return `${[...path.slice(0, row), `row ${path[row]}`].join(' ')}${field ? `, field ${field}` : ''}: ${message}`
}
