import type {Account} from '../account.js'
import {renderById} from '../registry.js'
import type {ApiObject} from '../resource.js'
import type {DowngradeContext, VersionChange, VersionedRequest} from './change.js'
import {CHANGES} from './changes.js'
import {type ApiVersion, LATEST_VERSION, olderThan} from './registry.js'

/** The changes a version is older than, newest first: what its responses are turned back through. */
function changesFor(version: ApiVersion): readonly VersionChange[] {
  if (version === LATEST_VERSION) return []
  return CHANGES.filter((change) => olderThan(version, change.version))
}

/**
 * A request's parameters in the newest shape: each change newer than the request's version turns
 * them one step forward, oldest first, before the route runs (SB-V5).
 */
export function upgradeRequest(
  version: ApiVersion,
  request: {method: string; path: string; params: Record<string, unknown>},
): VersionedRequest {
  const versioned: VersionedRequest = {...request, notes: new Set()}
  for (const change of [...changesFor(version)].reverse()) change.up?.(versioned)
  return versioned
}

/**
 * An object (or list) the emulator rendered in the newest shape, as `version` renders it: every
 * change newer than `version` is applied to every object inside, newest change first (SB-V5).
 * The newest version is returned as it is.
 */
export function renderAt(
  account: Account,
  object: ApiObject,
  version: ApiVersion,
  request?: VersionedRequest,
): ApiObject {
  const changes = changesFor(version)
  if (changes.length === 0) return object
  // Objects already turned back (inserted by a change) are not walked again.
  const done = new WeakSet<object>()
  const ctx: DowngradeContext = {
    account,
    version,
    render(id) {
      const found = renderById(account, id)
      if (!found) return undefined
      const rendered = renderAt(account, found, version)
      markDone(rendered, done)
      return rendered
    },
  }
  // The response is the emulator's own rendering, but nested values may be a record's own arrays.
  const copy = cloneKeepingCount(object)
  for (const change of changes) {
    if (change.down) walk(copy, change.down, ctx, done, request)
  }
  return copy
}

function walk(
  node: unknown,
  handlers: NonNullable<VersionChange['down']>,
  ctx: DowngradeContext,
  done: WeakSet<object>,
  request: VersionedRequest | undefined,
): void {
  if (typeof node !== 'object' || node === null || done.has(node)) return
  if (Array.isArray(node)) {
    for (const item of node) walk(item, handlers, ctx, done, request)
    return
  }
  const object = node as ApiObject
  // The parent first: it may read what a change then removes from its children.
  if (typeof object.object === 'string') handlers[object.object]?.(object, ctx, request)
  for (const value of Object.values(object)) walk(value, handlers, ctx, done, request)
}

function markDone(node: unknown, done: WeakSet<object>): void {
  if (typeof node !== 'object' || node === null || done.has(node)) return
  done.add(node)
  for (const value of Object.values(node)) markDone(value, done)
}

/** A deep copy; a list's count kept out of the newest shape (SB-V13) stays on the copy, still hidden. */
function cloneKeepingCount(object: ApiObject): ApiObject {
  const copy = structuredClone(object)
  const total = Object.getOwnPropertyDescriptor(object, 'total_count')
  if (total && !total.enumerable) Object.defineProperty(copy, 'total_count', total)
  return copy
}
