import {ApiError} from './errors.js'

/** What every stored object has: its id, and the order lists sort by (newest first). */
export interface Listed {
  id: string
  created: number
  seq: number
}

/** One resource's records by id; `require` answers Stripe's 404 for a missing id. */
export class Collection<T> extends Map<string, T> {
  constructor(readonly noun: string) {
    super()
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
}

/** Ids grouped by a key (a clock, a customer, a subscription): lookups never scan the account. */
export class Index {
  private readonly sets = new Map<string, Set<string>>()

  add(key: string, id: string): void {
    let set = this.sets.get(key)
    if (!set) this.sets.set(key, (set = new Set()))
    set.add(id)
  }

  remove(key: string, id: string): void {
    this.sets.get(key)?.delete(id)
  }

  ids(key: string): string[] {
    return [...(this.sets.get(key) ?? [])]
  }

  size(key: string): number {
    return this.sets.get(key)?.size ?? 0
  }

  drop(key: string): void {
    this.sets.delete(key)
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

  of<T>(key: CollectionKey<T>): Collection<T> {
    let found = this.collections.get(key.name)
    if (!found) this.collections.set(key.name, (found = new Collection<unknown>(key.noun)))
    return found as Collection<T>
  }

  index(name: string): Index {
    let found = this.indexes.get(name)
    if (!found) this.indexes.set(name, (found = new Index()))
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
}
