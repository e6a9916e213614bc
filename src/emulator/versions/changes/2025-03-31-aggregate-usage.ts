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
