import {createHash} from 'node:crypto'
import {mkdir, open, readFile, readdir, rm, truncate, type FileHandle} from 'node:fs/promises'
import {join} from 'node:path'
import type Stripe from 'stripe'
import {z} from 'zod'

import {type Config, FEATURE_KEYS, hasScenarioFeatures, formatZodIssues} from '../config/schema.js'
import {BugError, UsageError, UserError, errorMessage} from '../errors.js'
import type {PricesFile} from '../files/formats.js'
import {plural} from '../render/plural.js'
import {LedgerItemRowSchema} from '../files/ledger.js'
import {RenewalInvoiceSchema} from '../ledger/renewals.js'

/**
 * The run journal: one JSON line per completed step, appended in order, flushed and fsync'd, under
 * `<out-dir>/.stripe-seed/runs/<run id>.jsonl`. A line is written only after Stripe answered the
 * step, so the journal never claims a step that did not happen; a crash can at worst tear the last
 * line, which readers ignore. `run generate --resume` rebuilds a run from it.
 */

export const STATE_DIR = '.stripe-seed'

export function stateDir(outDir: string): string {
  return join(outDir, STATE_DIR)
}

function runsDir(outDir: string): string {
  return join(stateDir(outDir), 'runs')
}

export function journalPath(outDir: string, runId: string): string {
  return join(runsDir(outDir), `${runId}.jsonl`)
}

/** What the run keeps of a subscription between months (never the SDK object: it pins its HTTP response). */
export const SubscriptionStateSchema = z.object({
  id: z.string(),
  customerId: z.string(),
  itemId: z.string(),
  priceId: z.string(),
  unitAmount: z.number().int(),
  quantity: z.number().int(),
  periodEnd: z.number().int(),
  status: z.custom<Stripe.Subscription.Status>((value) => typeof value === 'string' && value.length > 0),
  planHint: z.string().optional(),
  /** Set only when true: a scheduled cancellation is in place (a resume checks it before asking again). */
  cancelAtPeriodEnd: z.literal(true).optional(),
  /** The coupons of the subscription's discounts, when Stripe's answer held them as objects (a resume checks them). */
  coupons: z.array(z.string()).optional(),
  /** The add-on's item, while the subscription has one (removing it names the item, SB-83). */
  addonItemId: z.string().optional(),
})
export type SubscriptionState = z.infer<typeof SubscriptionStateSchema>

/** What a resumed run must match: the inputs its plan and its requests were made from. */
export const RunHeaderSchema = z.object({
  type: z.literal('run'),
  version: z.literal(1),
  run_id: z.string(),
  seed: z.number().int(),
  customers: z.number().int(),
  months: z.number().int(),
  start_time: z.number().int().describe('unix seconds: where the clocks start'),
  config: z.record(z.string(), z.string()).describe('part of the config -> fingerprint, for the plan only'),
  price_ids: z.record(z.string(), z.string()),
  api_base: z.string().optional(),
  started_at: z.string(),
})
export type RunHeader = z.infer<typeof RunHeaderSchema>

const clockStep = {clock: z.number().int(), attempt: z.number().int().positive()}

export const JournalEntrySchema = z.discriminatedUnion('type', [
  z.object({type: z.literal('clock'), ...clockStep, clock_id: z.string()}),
  z.object({type: z.literal('customer'), ...clockStep, customer: z.number().int(), customer_id: z.string()}),
  z.object({
    type: z.literal('subscription'),
    ...clockStep,
    customer: z.number().int(),
    subscription: SubscriptionStateSchema,
    /** The ledger rows of the subscription as created: month 0's reading, with no extra request. */
    items: z.array(LedgerItemRowSchema).optional(),
  }),
  z.object({type: z.literal('advanced'), ...clockStep, month: z.number().int(), target: z.number().int()}),
  /** The clock was told to stop at a timed event's exact time inside month `month` (src/scenario/README.md, Time). */
  z.object({type: z.literal('stop'), ...clockStep, month: z.number().int(), at: z.number().int()}),
  z.object({
    type: z.literal('event'),
    ...clockStep,
    month: z.number().int(),
    customer: z.number().int(),
    kind: z.string(),
    detail: z.string(),
    /** The subscription as the event's response left it (absent for a past-due card). */
    subscription: SubscriptionStateSchema.optional(),
  }),
  z.object({
    type: z.literal('month'),
    ...clockStep,
    month: z.number().int(),
    frozen_time: z.number().int(),
    /** A month between two stops of the clock, written from the reading before it (src/scenario/clock-stops.ts), not read. */
    inferred: z.literal(true).optional(),
    subscriptions: z.array(SubscriptionStateSchema),
    /** The month's ledger rows, read from the same listing: a resumed run writes the ledger from them (absent in journals of versions before the ledger: those runs cannot be resumed). */
    items: z.array(LedgerItemRowSchema).optional(),
    /**
     * Read right after months the clock skipped: the renewal invoices the reading saw as its
     * subscriptions' latest, which confirm those months (absent in journals written before readings
     * carried them: the run lists invoices instead).
     */
    renewals: z.array(RenewalInvoiceSchema).optional(),
  }),
  z.object({type: z.literal('clock_failed'), ...clockStep, reason: z.string()}),
  z.object({type: z.literal('saved'), status: z.enum(['complete', 'partial', 'failed'])}),
])
export type JournalEntry = z.infer<typeof JournalEntrySchema>
/** An entry about one clock's step. */
export type ClockEntry = Extract<JournalEntry, {clock: number}>
/** A clock's step before the pipeline adds which clock and attempt it belongs to. */
export type ClockStep = ClockEntry extends infer E
  ? E extends ClockEntry
    ? Omit<E, 'clock' | 'attempt'>
    : never
  : never

export interface JournalContents {
  path: string
  header: RunHeader
  entries: JournalEntry[]
  /** The status of the last save, if the run got that far. */
  saved?: 'complete' | 'partial' | 'failed'
}

const fingerprint = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16)

/** The config parts the plan and the run's requests depend on; the scheduler's pace may change between attempts. */
export function configFingerprints(config: Config): Record<string, string> {
  return {
    plans: fingerprint(config.plans),
    events: fingerprint(config.events),
    customersPerClock: String(config.customersPerClock),
    prorationBehavior: config.prorationBehavior,
    // Which customer sits on which clock, and where clocks stop; absent for the default, so headers stay as they were.
    ...(config.clockStops !== 'events' ? {clockStops: config.clockStops} : {}),
    // Only a scenario's runs carry it, so a default run's header stays as it was.
    ...(hasScenarioFeatures(config)
      ? {
          features: fingerprint(
            Object.fromEntries([...FEATURE_KEYS, 'analytics'].map((key) => [key, config[key as keyof Config] ?? null])),
          ),
        }
      : {}),
  }
}

/** Why a resumed run cannot continue with these inputs, or undefined when it can. */
export function resumeMismatch(
  header: RunHeader,
  current: {config: Config; prices: PricesFile; seed?: number; customers?: number; months?: number},
): string | undefined {
  if (current.seed !== undefined && current.seed !== header.seed)
    return `it was started with seed ${header.seed}, not ${current.seed}`
  if (current.customers !== undefined && current.customers !== header.customers)
    return `it was started with ${plural(header.customers, 'customer')}, not ${current.customers}`
  if (current.months !== undefined && current.months !== header.months)
    return `it was started with ${plural(header.months, 'month')}, not ${current.months}`
  const now = configFingerprints(current.config)
  const changed = Object.keys(header.config).filter((part) => header.config[part] !== now[part])
  if (changed.includes('features'))
    return `it was started with ${header.config.features ? 'scenario features (--scenario, or scenario sections in the config)' : 'no scenario features'}, and the config now ${now.features ? 'has other ones' : 'has none'}`
  if (changed.length > 0) return `the config's ${changed.join(', ')} changed since it started`
  const prices = Object.keys({...header.price_ids, ...current.prices.price_ids}).filter(
    (plan) => header.price_ids[plan] !== current.prices.price_ids[plan],
  )
  if (prices.length > 0)
    return `stripe_prices.json names other prices for ${prices.map((plan) => `"${plan}"`).join(', ')} than when it started`
  return undefined
}

/**
 * Appends entries with group commit: lines that arrive while a write is under way go out together
 * in the next write and fsync, so a thousand clocks cost a few syncs per second, not one per step.
 */
export class Journal {
  private readonly queue: string[] = []
  private readonly waiters: Array<{resolve: () => void; reject: (error: Error) => void}> = []
  private writing?: Promise<void>

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Starts a new run's journal with its header, durably, before any step of the run. */
  static async create(outDir: string, header: RunHeader): Promise<Journal> {
    const path = journalPath(outDir, header.run_id)
    try {
      await mkdir(runsDir(outDir), {recursive: true})
      const handle = await open(path, 'wx')
      const journal = new Journal(path, handle)
      await journal.append(header)
      return journal
    } catch (error) {
      throw new UserError(`Cannot start the run journal ${path}: ${errorMessage(error)}`, {cause: error})
    }
  }

  /** Reopens a journal to continue it; a torn last line (a crash mid-write) is cut off first. */
  static async reopen(contents: JournalContents): Promise<Journal> {
    // In bytes, not characters: entries carry non-ASCII text (× →).
    const bytes = await readFile(contents.path)
    const end = bytes.lastIndexOf(0x0a) + 1
    if (end < bytes.length) await truncate(contents.path, end)
    return new Journal(contents.path, await open(contents.path, 'a'))
  }

  append(entry: JournalEntry | RunHeader): Promise<void> {
    const parsed = (entry.type === 'run' ? RunHeaderSchema : JournalEntrySchema).safeParse(entry)
    if (!parsed.success)
      throw new BugError(`refusing to journal a malformed ${entry.type} entry: ${formatZodIssues(parsed.error)}`)
    this.queue.push(`${JSON.stringify(entry)}\n`)
    return new Promise((resolve, reject) => {
      this.waiters.push({resolve, reject})
      this.writing ??= this.drain()
    })
  }

  /** Resolves when everything appended so far is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing
  }

  async close(): Promise<void> {
    await this.flush()
    await this.handle.close()
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const lines = this.queue.splice(0)
      const waiters = this.waiters.splice(0)
      try {
        await this.handle.write(lines.join(''))
        await this.handle.datasync()
        for (const waiter of waiters) waiter.resolve()
      } catch (error) {
        const failure = new UserError(`Cannot write the run journal ${this.path}: ${errorMessage(error)}`, {
          cause: error,
        })
        for (const waiter of waiters) waiter.reject(failure)
      }
    }
    this.writing = undefined
  }
}

/** Reads a journal; a last line that does not parse is the torn end of a crash and is ignored. */
export async function readJournal(path: string): Promise<JournalContents> {
  const lines = (await readFile(path, 'utf8')).split('\n')
  if (lines.at(-1) === '') lines.pop()
  const parsed: unknown[] = []
  for (const [index, line] of lines.entries()) {
    try {
      parsed.push(JSON.parse(line))
    } catch {
      if (index === lines.length - 1) break
      throw new DamagedJournalError(path, `is damaged at line ${index + 1}`)
    }
  }
  const header = RunHeaderSchema.safeParse(parsed[0])
  if (!header.success) throw new DamagedJournalError(path, `has no valid header: ${formatZodIssues(header.error)}`)
  const entries: JournalEntry[] = []
  for (const [index, raw] of parsed.slice(1).entries()) {
    const entry = JournalEntrySchema.safeParse(raw)
    if (!entry.success)
      throw new DamagedJournalError(path, `is malformed at line ${index + 2}: ${formatZodIssues(entry.error)}`)
    entries.push(entry.data)
  }
  let saved: JournalContents['saved']
  for (const entry of entries) if (entry.type === 'saved') saved = entry.status
  return {path, header: header.data, entries, saved}
}

/** A journal that cannot be resumed from; its run's clocks are still found by name (they carry its run id). */
export class DamagedJournalError extends UsageError {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    // A usage error: --resume cannot continue this run, and the advice is another command.
    super(`The run journal ${path} ${problem}`, {
      suggestion:
        "Start a new run (without --resume) or run `stripe-seed clocks cleanup`: either deletes this run's clocks by name.",
    })
    this.name = 'DamagedJournalError'
  }
}

/** What is left of a damaged journal: enough to find its run's clocks, not to resume it. */
export interface DamagedJournal {
  path: string
  /** From the file name, which is the run id (journalPath). */
  runId: string
  /** The clocks its readable lines name. */
  clockIds: string[]
  problem: string
}

/** Every run journaled in this out-dir, oldest first, and apart from them the damaged ones. */
export async function listJournals(outDir: string): Promise<{journals: JournalContents[]; damaged: DamagedJournal[]}> {
  let names: string[]
  try {
    names = (await readdir(runsDir(outDir))).filter((name) => name.endsWith('.jsonl'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {journals: [], damaged: []}
    throw new UserError(`Cannot read ${runsDir(outDir)}: ${errorMessage(error)}`)
  }
  const journals: JournalContents[] = []
  const damaged: DamagedJournal[] = []
  for (const name of names) {
    const path = join(runsDir(outDir), name)
    try {
      journals.push(await readJournal(path))
    } catch (error) {
      if (!(error instanceof DamagedJournalError)) throw error
      damaged.push({
        path,
        runId: name.slice(0, -'.jsonl'.length),
        clockIds: await readableClockIds(path),
        problem: error.message,
      })
    }
  }
  journals.sort((a, b) => a.header.started_at.localeCompare(b.header.started_at))
  damaged.sort((a, b) => a.runId.localeCompare(b.runId))
  return {journals, damaged}
}

/** The clock ids on the lines of a damaged journal that still parse. */
async function readableClockIds(path: string): Promise<string[]> {
  const ids: string[] = []
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    try {
      const entry = JournalEntrySchema.safeParse(JSON.parse(line))
      if (entry.success && entry.data.type === 'clock') ids.push(entry.data.clock_id)
    } catch {
      // the damaged line itself
    }
  }
  return ids
}

export async function removeJournal(path: string): Promise<void> {
  await rm(path, {force: true})
}
