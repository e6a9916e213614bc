import {type Account, type AdvanceLimit, type SignalHandlers, changedFields} from './account.js'
import {ApiError, invalid} from './errors.js'
import {type Raw, int, str} from './params.js'
import type {CollectionKey, Listed} from './store.js'

export type ApiObject = Record<string, unknown>

/** How long advances take and whether they fail: transport realism the test-clock module asks for. */
export interface AdvanceTiming {
  /**
   * Wall-clock ms an advance takes, given how many clocks are advancing now and how many billing
   * intervals of the clock's shortest subscription it crosses (its renewals' work, SB-11).
   */
  durationMs: (concurrent: number, intervals: number) => number
  fails: (clock: {name: string | null}) => boolean
  onAdvance: (clock: {id: string}, durationMs: number) => void
}

export interface RouteContext {
  account: Account
  params: Raw
  path: string
  ids: string[]
  advance: AdvanceTiming
  /** The request's `Stripe-Version` header, e.g. `2026-10-28.endive`; null without one (the account's default). */
  apiVersion: string | null
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE'
  pattern: RegExp
  handle: (ctx: RouteContext) => ApiObject
}

/** Something a test clock's time engine must do at `at` (SB-17); `rank` orders events at the same second. */
export interface DueEvent {
  at: number
  rank: number
  seq: number
  run: () => void
}

/**
 * One Stripe resource: its routes, how an id of it is rendered for `expand[]`, the SDK parameter
 * interfaces its routes check against, and the billing events it schedules on a test clock.
 */
export interface Resource {
  /** Stripe's `object` value. */
  object: string
  /** Prefixes of the ids it issues (`cus_`), which route `expand[]` lookups to it. */
  idPrefixes: string[]
  routes: Route[]
  /** The object for an id, for `expand[]`; undefined when there is none. */
  render?: (account: Account, id: string) => ApiObject | undefined
  /** Fields absent unless `expand[]` names them (Stripe's "includable" fields), by name. */
  includable?: Record<string, (account: Account, id: string) => unknown>
  /** Where its parameter interfaces live in stripe-node (`resources/<file>`), for scripts/extract-stripe-contract.mjs. */
  documentedParams?: {file: string; interfaces: string[]}
  /** What is due on a clock's objects up to the clock's target time. */
  due?: (account: Account, clockId: string) => DueEvent[]
  /** Forget what belongs to a deleted clock (in registry.ts's CLOCK_DELETION_ORDER). */
  onClockDeleted?: (account: Account, clockId: string) => void
  /** What it does when another resource signals through the account. */
  on?: SignalHandlers
  /** The longest advance its objects on a clock allow (SB-12). */
  advanceLimit?: (account: Account, clockId: string) => AdvanceLimit | undefined
}

const ID = '([^/]+)'
export const route = (method: Route['method'], path: string, handle: Route['handle']): Route => ({
  method,
  pattern: new RegExp(`^${path.replaceAll(':id', () => ID)}$`),
  handle,
})

export const COMMON = ['expand'] as const
export const PAGINATION = ['limit', 'starting_after', 'ending_before'] as const

/** Stripe's cursor pagination over records, newest first (SB-8). */
export function list<T extends Listed>(
  ctx: RouteContext,
  items: Iterable<T>,
  render: (item: T) => ApiObject,
): ApiObject {
  return page(
    ctx,
    [...items].sort((a, b) => b.created - a.created || b.seq - a.seq),
    render,
  )
}

/** Stripe's cursors (`limit` 1–100, default 10; `starting_after`, `ending_before`) over items already in order (SB-8). */
export function page<T extends {id: string}>(
  ctx: RouteContext,
  sorted: readonly T[],
  render: (item: T) => ApiObject,
): ApiObject {
  const limit = ctx.params.limit === undefined ? 10 : int(ctx.params.limit, 'limit', 1)
  if (limit > 100) throw invalid('This value must be less than or equal to 100.', 'limit')
  const positionOf = (param: 'starting_after' | 'ending_before') => {
    const id = str(ctx.params[param], param)
    const at = sorted.findIndex((item) => item.id === id)
    if (at < 0) throw new ApiError(404, 'invalid_request_error', `No such object: '${id}'`, 'resource_missing', param)
    return at
  }
  if (ctx.params.ending_before !== undefined) {
    const end = positionOf('ending_before')
    const start = Math.max(0, end - limit)
    return counted(
      {object: 'list', data: sorted.slice(start, end).map(render), has_more: start > 0, url: ctx.path},
      sorted.length,
    )
  }
  const start = ctx.params.starting_after === undefined ? 0 : positionOf('starting_after') + 1
  return counted(
    {
      object: 'list',
      data: sorted.slice(start, start + limit).map(render),
      has_more: start + limit < sorted.length,
      url: ctx.path,
    },
    sorted.length,
  )
}

/** How many objects matched, kept out of the JSON: only versions before basil show it, when asked (SB-V13). */
function counted(listed: ApiObject, total: number): ApiObject {
  return Object.defineProperty(listed, 'total_count', {
    value: total,
    enumerable: false,
    writable: true,
    configurable: true,
  })
}

export function* filter<T>(items: Iterable<T>, keep: (item: T) => boolean): Iterable<T> {
  for (const item of items) if (keep(item)) yield item
}

/**
 * Runs `change` and emits `type` with the fields it changed (SB-68); emits nothing when nothing
 * changed. `render` is the object's API shape.
 */
export function updating<T>(
  account: Account,
  type: string,
  testClock: string | null,
  render: () => ApiObject,
  change: () => T,
): T {
  if (!account.recording) return change()
  const before = render()
  const result = change()
  const after = render()
  const previous = changedFields(before, after)
  if (previous) account.emit(type, () => after, testClock, previous)
  return result
}

/** onClockDeleted for a resource whose records are indexed by clock and leave nothing else behind. */
export function forgetByClock<T extends {id: string}>(
  key: CollectionKey<T>,
  byClock: string,
): NonNullable<Resource['onClockDeleted']> {
  return (account, clockId) => {
    for (const record of account.store.indexed(key, byClock, clockId)) account.store.of(key).delete(record.id)
    account.store.index(byClock).drop(clockId)
  }
}
