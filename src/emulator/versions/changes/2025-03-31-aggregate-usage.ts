import type {ApiObject} from '../../resource.js'
import type {VersionChange} from '../change.js'

/**
 * Before basil plans and recurring prices carry `aggregate_usage` (for usage-record billing, which
 * basil removed); the emulator's prices are all licensed, so it is `null` (SB-V22).
 */
export const aggregateUsage: VersionChange = {
  version: '2025-03-31.basil',
  name: 'aggregate-usage',
  rule: 'SB-V22',
  down: {
    plan(plan) {
      plan.aggregate_usage = null
    },
    price(price) {
      const recurring = price.recurring as ApiObject | null | undefined
      if (recurring) recurring.aggregate_usage = null
    },
  },
}
