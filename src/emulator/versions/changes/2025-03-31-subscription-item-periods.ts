import type {ApiObject} from '../../resource.js'
import type {VersionChange} from '../change.js'

/**
 * Before basil the billing period is the subscription's own `current_period_start`/`end`; basil
 * moved it onto each item (SB-V8). All items of a subscription share one period here (SB-27).
 */
export const subscriptionItemPeriods: VersionChange = {
  version: '2025-03-31.basil',
  name: 'subscription-item-periods',
  rule: 'SB-V8',
  down: {
    subscription(subscription) {
      const items = (subscription.items as {data?: ApiObject[]} | undefined)?.data ?? []
      const first = items[0]
      subscription.current_period_start = first?.current_period_start ?? subscription.start_date
      subscription.current_period_end = first?.current_period_end ?? subscription.start_date
    },
    subscription_item(item) {
      delete item.current_period_start
      delete item.current_period_end
    },
  },
}
