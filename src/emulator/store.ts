import {ApiError} from './errors.js'

/** What every stored object has: its id, and the order lists sort by (newest first). */
export interface Listed {
  id: string
  created: number
  seq: number
}

/** A record as it was when a transaction first reached it: what a rollback puts back (SB-A1). */
interface RecordUndo {
  existed: boolean
  record: unknown
  /** The record's JSON then: records are plain JSON data, which is also how --data stores them. */
  before: string | undefined
}

/** One record a committed transaction changed: its JSON now, or null once deleted. */
export interface RecordChange {
  collection: string
  noun: string
  id: string
  json: string | null
}

/** One index key a committed transaction changed: its ids now, or null once dropped or empty. */
export interface IndexChange {
  index: string
  key: string
  ids: string[] | null
}

export interface StoreChanges {
  records: RecordChange[]
  indexes: IndexChange[]
}

/**
 * The request under way as the store sees it. While one is open, every record a collection hands
 * out (get, require, iteration) is first copied into an undo log, and every set, delete and index
 * change is journaled: a rollback puts everything back in place, keeping each record's identity;
 * a commit lists what changed. Its cost follows the records a request reaches, not the account's size.
 */
class Transaction {
  open = false
  readonly collections = new Set<Collection<unknown>>()
  readonly indexes = new Set<Index>()
}

const mapGet = Map.prototype.get
const mapSet = Map.prototype.set
const mapDelete = Map.prototype.delete
const mapEntries = Map.prototype.entries

/** One resource's records by id; `require` answers Stripe's 404 for a missing id. */
export class Collection<T> extends Map<string, T> {
  /** First touches of this transaction, by id. */
  private readonly undo = new Map<string, RecordUndo>()

  constructor(
    readonly noun: string,
    readonly name = noun,
    private readonly tx: Transaction = new Transaction(),
  ) {
    super()
  }

  override get(id: string): T | undefined {
    const record = mapGet.call(this, id) as T | undefined
    if (record !== undefined && this.tx.open) this.reach(id)
    return record
  }

  override set(id: string, record: T): this {
    if (this.tx.open) this.reach(id)
    return mapSet.call(this, id, record) as this
  }

  override delete(id: string): boolean {
    if (this.tx.open) this.reach(id)
    return mapDelete.call(this, id)
  }

  override values(): MapIterator<T> {
    return this.reached((id, record) => record)
  }

  override entries(): MapIterator<[string, T]> {
    return this.reached((id, record) => [id, record] as [string, T])
  }

  override [Symbol.iterator](): MapIterator<[string, T]> {
    return this.entries()
  }

  override forEach(callback: (value: T, key: string, map: Map<string, T>) => void, thisArg?: unknown): void {
    for (const [id, record] of this.entries()) callback.call(thisArg, record, id, this)
  }

  require(id: string, param = 'id'): T {
    const found = this.get(id)
    if (found === undefined) throw this.missing(id, param)
    return found
  }

  /** Stripe's 404 for an id of this collection. */
  missing(id: string, param = 'id'): ApiError {
    return new ApiError(404, 'invalid_request_error', `No such ${this.noun}: '${id}'`, 'resource_missing', param)
  }

  /** A record put back or loaded without journaling (a rollback, or --data at start). */
  restore(id: string, record: T | undefined): void {
    if (record === undefined) mapDelete.call(this, id)
    else mapSet.call(this, id, record)
  }

  private *reached<R>(as: (id: string, record: T) => R): Generator<R, undefined, unknown> {
    for (const [id, record] of mapEntries.call(this) as MapIterator<[string, T]>) {
      if (this.tx.open) this.reach(id)
      yield as(id, record)
    }
    return undefined
  }

  private reach(id: string): void {
    if (this.undo.has(id)) return
    const record = mapGet.call(this, id) as T | undefined
    this.undo.set(id, {
      existed: record !== undefined,
      record,
      before: record === undefined ? undefined : JSON.stringify(record),
    })
    this.tx.collections.add(this)
  }

  /** Puts every record back as the transaction found it, in place. */
  rollback(): void {
    for (const [id, undo] of this.undo) {
      if (!undo.existed) {
        mapDelete.call(this, id)
        continue
      }
      const record = undo.record as Record<string, unknown>
      for (const key of Object.keys(record)) delete record[key]
      Object.assign(record, JSON.parse(undo.before as string))
      mapSet.call(this, id, record)
    }
    this.undo.clear()
  }

  /** Forgets the undo log; with `changes`, lists the records that differ from what the transaction found. */
  commit(changes?: RecordChange[]): void {
    if (changes)
      for (const [id, undo] of this.undo) {
        const record = mapGet.call(this, id) as T | undefined
        const json = record === undefined ? null : JSON.stringify(record)
        if (json !== (undo.before ?? null)) changes.push({collection: this.name, noun: this.noun, id, json})
      }
    this.undo.clear()
  }
}

/** Ids grouped by a key (a clock, a customer, a subscription): lookups never scan the account. */
export class Index {
  private readonly sets = new Map<string, Set<string>>()
  /** Each key's ids as the transaction found them (undefined: absent). */
  private readonly undo = new Map<string, Set<string> | undefined>()

  constructor(
    readonly name = '',
    private readonly tx: Transaction = new Transaction(),
  ) {}

  add(key: string, id: string): void {
    this.touch(key)
    let set = this.sets.get(key)
    if (!set) this.sets.set(key, (set = new Set()))
    set.add(id)
  }

  remove(key: string, id: string): void {
    this.touch(key)
    this.sets.get(key)?.delete(id)
  }

  ids(key: string): string[] {
    return [...(this.sets.get(key) ?? [])]
  }

  size(key: string): number {
    return this.sets.get(key)?.size ?? 0
  }

  drop(key: string): void {
    this.touch(key)
    this.sets.delete(key)
  }

  /** Every key and its ids, for --data. */
  *keys(): Iterable<[string, string[]]> {
    for (const [key, set] of this.sets) if (set.size > 0) yield [key, [...set]]
  }

  /** A key's ids as loaded by --data, without journaling. */
  restore(key: string, ids: string[]): void {
    this.sets.set(key, new Set(ids))
  }

  clear(): void {
    this.sets.clear()
  }

  rollback(): void {
    for (const [key, set] of this.undo) {
      if (set) this.sets.set(key, set)
      else this.sets.delete(key)
    }
    this.undo.clear()
  }

  commit(changes?: IndexChange[]): void {
    if (changes)
      for (const key of this.undo.keys()) {
        const set = this.sets.get(key)
        changes.push({index: this.name, key, ids: set && set.size > 0 ? [...set] : null})
      }
    this.undo.clear()
  }

  private touch(key: string): void {
    if (!this.tx.open || this.undo.has(key)) return
    const set = this.sets.get(key)
    this.undo.set(key, set && new Set(set))
    this.tx.indexes.add(this)
  }
}

/** A typed name for a collection or an index, declared by the resource module that owns it. */
export interface CollectionKey<T> {
  readonly name: string
  readonly noun: string
  readonly _type?: T
}

export function collectionKey<T>(name: string, noun: string): CollectionKey<T> {
  return {name, noun}
}

/** The account's records: one collection per resource and the indexes resources keep, created on first use. */
export class Store {
  private readonly collections = new Map<string, Collection<unknown>>()
  private readonly indexes = new Map<string, Index>()
  private readonly tx = new Transaction()

  of<T>(key: CollectionKey<T>): Collection<T> {
    return this.collection(key.name, key.noun) as Collection<T>
  }

  /** A collection by name, as --data stores it. */
  collection(name: string, noun: string): Collection<unknown> {
    let found = this.collections.get(name)
    if (!found) this.collections.set(name, (found = new Collection<unknown>(noun, name, this.tx)))
    return found
  }

  index(name: string): Index {
    let found = this.indexes.get(name)
    if (!found) this.indexes.set(name, (found = new Index(name, this.tx)))
    return found
  }

  /** Records of `key` whose ids an index holds under `value`. */
  indexed<T>(key: CollectionKey<T>, index: string, value: string): T[] {
    const collection = this.of(key)
    return this.index(index)
      .ids(value)
      .map((id) => collection.get(id))
      .filter((record): record is T => record !== undefined)
  }

  /** Every collection and index, for tests that compare whole states and for --data. */
  contents(): {collections: ReadonlyMap<string, Collection<unknown>>; indexes: ReadonlyMap<string, Index>} {
    return {collections: this.collections, indexes: this.indexes}
  }

  /** Empties every collection and index in place (references to them stay valid). */
  clear(): void {
    if (this.tx.open) throw new Error('cannot clear the store inside a transaction')
    for (const collection of this.collections.values()) Map.prototype.clear.call(collection)
    for (const index of this.indexes.values()) index.clear()
  }

  get inTransaction(): boolean {
    return this.tx.open
  }

  /** Starts journaling: what follows is undone by `rollback` or kept by `commit` (SB-A1). */
  begin(): void {
    if (this.tx.open) throw new Error('a store transaction is already open')
    this.tx.open = true
  }

  /** Keeps the transaction's changes; with `collect`, lists them (what --data writes). */
  commit(collect = false): StoreChanges {
    const changes: StoreChanges = {records: [], indexes: []}
    this.end(
      (collection) => collection.commit(collect ? changes.records : undefined),
      (index) => index.commit(collect ? changes.indexes : undefined),
    )
    return changes
  }

  /** Puts every record and index back as the transaction found them. */
  rollback(): void {
    this.end(
      (collection) => collection.rollback(),
      (index) => index.rollback(),
    )
  }

  private end(collections: (collection: Collection<unknown>) => void, indexes: (index: Index) => void): void {
    this.tx.open = false
    for (const collection of this.tx.collections) collections(collection)
    for (const index of this.tx.indexes) indexes(index)
    this.tx.collections.clear()
    this.tx.indexes.clear()
  }
}
