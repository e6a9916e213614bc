import {invalid, notModelled} from '../../errors.js'
import type {ApiObject} from '../../resource.js'
import type {VersionChange} from '../change.js'

/**
 * Before basil plans and recurring prices carry `aggregate_usage` (for usage-record billing, which
 * basil removed): `null` on licensed prices, and on metered ones (all backed by a meter here) the
 * documented default `sum` (SB-V22, SB-U11).
 */
export const aggregateUsage: VersionChange = {
  version: '2025-03-31.basil',
  name: 'aggregate-usage',
  rule: 'SB-V22',
  // Before basil a metered price may name its aggregation: `sum` is what a meter-backed price does,
  // anything else belongs to usage records, which are not modelled (SB-U11).
  up(request) {
    if (request.method !== 'POST' || !/^\/v1\/(prices|plans)$/.test(request.path)) return
    const holder = (request.path === '/v1/plans' ? request.params : request.params.recurring) as
      Record<string, unknown> | undefined
    if (typeof holder !== 'object' || holder?.aggregate_usage === undefined) return
    if (holder.usage_type !== 'metered')
      throw invalid('aggregate_usage can only be set on metered prices (usage_type=metered).', 'aggregate_usage')
    if (holder.aggregate_usage !== 'sum')
      throw notModelled(
        `aggregate_usage=${typeof holder.aggregate_usage === 'string' ? holder.aggregate_usage : JSON.stringify(holder.aggregate_usage)} (usage records)`,
      )
    delete holder.aggregate_usage
  },
  down: {
    plan(plan) {
      plan.aggregate_usage = plan.usage_type === 'metered' ? 'sum' : null
    },
    price(price) {
      const recurring = price.recurring as ApiObject | null | undefined
      if (recurring) recurring.aggregate_usage = recurring.usage_type === 'metered' ? 'sum' : null
    },
  },
}
