import type {Account} from '../account.js'
import type {ApiObject} from '../resource.js'
import type {ApiVersion} from './registry.js'

/** What a change may read while it turns an object back: the account, and any object rendered at the target version. */
export interface DowngradeContext {
  account: Account
  /** The version being rendered. */
  version: ApiVersion
  /** The object behind an id (`cus_…`, a coupon id), rendered at the target version; undefined when there is none. */
  render(id: string): ApiObject | undefined
}

/** A request as a change sees it before the route runs: parameters may be rewritten in place. */
export interface VersionedRequest {
  method: string
  path: string
  params: Record<string, unknown>
  /** Set by a change for the response side (e.g. `include[]=total_count`). */
  notes: Set<string>
}

/**
 * One breaking change of Stripe's API (SB-V5): `version` is the first version with the new shape.
 * A request at an older version has its response turned back by `down` (keyed by `object` type,
 * mutating in place), and its parameters turned forward by `up` before the route sees them.
 */
export interface VersionChange {
  version: ApiVersion
  /** Short name, as the module's file name. */
  name: string
  /** The docs/stripe-behaviour.md rule that states it. */
  rule: string
  down?: Record<string, (object: ApiObject, ctx: DowngradeContext, request?: VersionedRequest) => void>
  up?: (request: VersionedRequest) => void
}

/** The id inside a field that may hold an id or an expanded object. */
export function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value
  if (typeof value === 'object' && value !== null && typeof (value as ApiObject).id === 'string')
    return (value as ApiObject).id as string
  return null
}
