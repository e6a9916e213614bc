import type * as NodeSqlite from 'node:sqlite'
import type {DatabaseSync, StatementSync} from 'node:sqlite'

import type {EventRecord} from './events/event-log.js'
import type {IndexChange, RecordChange, StoreChanges} from './store.js'

/** A saved idempotent result (SB-A2), as the server keeps it. */
export interface SavedResponse {
  fingerprint: string
  status: number
  body: string
}

/** The emulator's counters by name: id and seq counters, the random generators' states, the request counter. */
export type Counters = Record<string, number>

/** What one committed transaction writes, all in one SQLite transaction (SB-A6). */
export interface DurableBatch {
  changes: StoreChanges
  /** Events recorded by this commit. */
  events: readonly EventRecord[]
  /** The oldest event the log still keeps: older rows are forgotten with it (SB-E4). */
  oldestEventSeq: number | undefined
  idempotency?: {key: string; response: SavedResponse}
  counters: Counters
}

export interface DurableContents {
  records: RecordChange[]
  indexes: IndexChange[]
  events: EventRecord[]
  idempotency: Array<[string, SavedResponse]>
  counters: Counters | undefined
}

const SCHEMA_VERSION = 1

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS records (
    pos INTEGER PRIMARY KEY,
    collection TEXT NOT NULL,
    noun TEXT NOT NULL,
    id TEXT NOT NULL,
    json TEXT NOT NULL,
    UNIQUE (collection, id)
  );
  CREATE TABLE IF NOT EXISTS indexes (name TEXT NOT NULL, key TEXT NOT NULL, ids TEXT NOT NULL, PRIMARY KEY (name, key));
  CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, json TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, json TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, json TEXT NOT NULL);
`

/**
 * `emulator --data PATH`: the whole account in an SQLite database (node:sqlite, built into Node,
 * no native build). Each committed request is one SQLite transaction, written before the request
 * is answered; WAL with synchronous=NORMAL survives a killed process (only a power loss could cost
 * the last transactions), so a kill -9 loses no answered request (SB-A6).
 */
export class DurableState {
  private readonly statements: Record<
    | 'upsertRecord'
    | 'deleteRecord'
    | 'upsertIndex'
    | 'deleteIndex'
    | 'insertEvent'
    | 'updateEvent'
    | 'forgetEvents'
    | 'saveIdempotency'
    | 'saveState',
    StatementSync
  >

  private constructor(private readonly db: DatabaseSync) {
    this.statements = {
      upsertRecord: db.prepare(
        'INSERT INTO records (collection, noun, id, json) VALUES (?, ?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET json = excluded.json',
      ),
      deleteRecord: db.prepare('DELETE FROM records WHERE collection = ? AND id = ?'),
      upsertIndex: db.prepare(
        'INSERT INTO indexes (name, key, ids) VALUES (?, ?, ?) ON CONFLICT (name, key) DO UPDATE SET ids = excluded.ids',
      ),
      deleteIndex: db.prepare('DELETE FROM indexes WHERE name = ? AND key = ?'),
      insertEvent: db.prepare('INSERT OR REPLACE INTO events (seq, json) VALUES (?, ?)'),
      updateEvent: db.prepare('UPDATE events SET json = ? WHERE seq = ?'),
      forgetEvents: db.prepare('DELETE FROM events WHERE seq < ?'),
      saveIdempotency: db.prepare('INSERT OR REPLACE INTO idempotency (key, json) VALUES (?, ?)'),
      saveState: db.prepare('INSERT OR REPLACE INTO state (name, json) VALUES (?, ?)'),
    }
  }

  /** Opens (or creates) the database at `path`, holding it for this process alone. */
  static async open(path: string): Promise<DurableState> {
    const {DatabaseSync} = quietly(loadSqlite)
    const db = new DatabaseSync(path)
    try {
      const version = (db.prepare('PRAGMA user_version').get() as {user_version: number}).user_version
      if (version !== 0 && version !== SCHEMA_VERSION)
        throw new DataError(`${path} holds emulator state of another format (version ${version})`)
      // One emulator per file: the exclusive lock is taken by the first write and kept.
      db.exec('PRAGMA locking_mode = EXCLUSIVE')
      db.exec('PRAGMA journal_mode = WAL')
      db.exec('PRAGMA synchronous = NORMAL')
      db.exec('BEGIN IMMEDIATE')
      db.exec(SCHEMA)
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)
      db.exec('COMMIT')
    } catch (error) {
      db.close()
      if (error instanceof DataError) throw error
      const message = error instanceof Error ? error.message : String(error)
      if (/locked|busy/i.test(message)) throw new DataError(`${path} is in use by another emulator`)
      throw new DataError(`${path} is not an emulator state database (${message})`)
    }
    return new DurableState(db)
  }

  /** Everything kept, in the order it was first written. */
  load(): DurableContents {
    const records = (
      this.db.prepare('SELECT collection, noun, id, json FROM records ORDER BY pos').all() as unknown as RecordChange[]
    ).map((row) => ({...row}))
    const indexes = (
      this.db.prepare('SELECT name, key, ids FROM indexes').all() as Array<{name: string; key: string; ids: string}>
    ).map((row) => ({index: row.name, key: row.key, ids: JSON.parse(row.ids) as string[]}))
    const events = (this.db.prepare('SELECT json FROM events ORDER BY seq').all() as Array<{json: string}>).map((row) =>
      eventFromJson(row.json),
    )
    const idempotency = (
      this.db.prepare('SELECT key, json FROM idempotency').all() as Array<{key: string; json: string}>
    ).map((row) => [row.key, JSON.parse(row.json) as SavedResponse] as [string, SavedResponse])
    const counters = this.db.prepare("SELECT json FROM state WHERE name = 'counters'").get() as
      {json: string} | undefined
    return {records, indexes, events, idempotency, counters: counters && (JSON.parse(counters.json) as Counters)}
  }

  /** One commit, durably: every change in one SQLite transaction. */
  write(batch: DurableBatch): void {
    const {changes, events, idempotency} = batch
    if (changes.records.length === 0 && changes.indexes.length === 0 && events.length === 0 && !idempotency) return
    const s = this.statements
    this.db.exec('BEGIN')
    try {
      for (const record of changes.records) {
        if (record.json === null) s.deleteRecord.run(record.collection, record.id)
        else s.upsertRecord.run(record.collection, record.noun, record.id, record.json)
      }
      for (const index of changes.indexes) {
        if (index.ids === null) s.deleteIndex.run(index.index, index.key)
        else s.upsertIndex.run(index.index, index.key, JSON.stringify(index.ids))
      }
      for (const event of events) s.insertEvent.run(event.seq, eventJsonForDisk(event))
      if (events.length > 0 && batch.oldestEventSeq !== undefined) s.forgetEvents.run(batch.oldestEventSeq)
      if (idempotency) s.saveIdempotency.run(idempotency.key, JSON.stringify(idempotency.response))
      s.saveState.run('counters', JSON.stringify(batch.counters))
      this.db.exec('COMMIT')
    } catch (error) {
      this.db.exec('ROLLBACK')
      throw error
    }
  }

  /** An event's delivery counts, once settled (they change after the request that recorded it). */
  updateEvent(event: EventRecord): void {
    this.statements.updateEvent.run(eventJsonForDisk(event), event.seq)
  }

  /** Forgets everything: the account starts empty, as a fresh emulator would. */
  reset(): void {
    this.db.exec('BEGIN')
    this.db.exec(
      'DELETE FROM records; DELETE FROM indexes; DELETE FROM events; DELETE FROM idempotency; DELETE FROM state;',
    )
    this.db.exec('COMMIT')
  }

  close(): void {
    if (this.db.isOpen) this.db.close()
  }
}

/** The database could not be used: the user's to fix (another path, or stop the other emulator). */
export class DataError extends Error {}

/**
 * node:sqlite announces itself with an ExperimentalWarning on Node 22 (stable later): users asked
 * for --data, not for that line on stderr. Node emits it on the next tick through the 'warning'
 * listeners, so for that moment they sit behind a filter that lets every other warning through.
 */
function loadSqlite(): typeof NodeSqlite {
  const sqlite = process.getBuiltinModule?.('node:sqlite') as typeof NodeSqlite | undefined
  if (sqlite !== undefined) return sqlite
  throw new DataError(`--data needs Node 22.13 or newer (this is ${process.version}): it keeps state with node:sqlite`)
}

function quietly<T>(load: () => T): T {
  const listeners = process.listeners('warning')
  const filter = (warning: Error) => {
    if (warning.name === 'ExperimentalWarning' && /SQLite/i.test(warning.message)) return
    for (const listener of listeners) listener.call(process, warning)
  }
  process.removeAllListeners('warning')
  process.on('warning', filter)
  setImmediate(() => {
    process.off('warning', filter)
    for (const listener of listeners) process.on('warning', listener)
  })
  return load()
}

/** An event as a row: its renditions in other API versions (a Map) kept as entries (SB-V2). */
function eventJsonForDisk(event: EventRecord): string {
  return JSON.stringify({...event, renditions: event.renditions ? [...event.renditions] : undefined})
}

function eventFromJson(json: string): EventRecord {
  const row = JSON.parse(json) as Omit<EventRecord, 'renditions'> & {renditions?: Array<[string, string]>}
  return {...row, renditions: row.renditions ? new Map(row.renditions) : undefined}
}
