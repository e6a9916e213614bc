import type {Account} from './account.js'
import {notModelled} from './errors.js'
import type {DueEvent, Resource} from './resource.js'

/** Which of several events due in the same second runs first (our choice; Stripe documents no order, SB-68). */
export const RANK = {
  discountEnd: 0,
  cancellation: 1,
  resumeCollection: 2,
  trialWillEnd: 3,
  trialEnd: 4,
  // A schedule's next phase starts before the renewal it prices (SB-S3).
  schedulePhase: 5,
  renewal: 6,
  finalize: 7,
  paymentRetry: 8,
  incompleteExpiry: 9,
} as const

export interface ClockTime {
  id: string
  frozenTime: number
}

/**
 * Moves a test clock's objects through time: every billing event the resources report as due
 * (renewals, draft → finalize → charge, retries, trial ends, scheduled cancellations, discount ends)
 * runs in time order, each at its own time, until the clock's target (SB-17).
 */
export class TimeEngine {
  constructor(readonly resources: readonly Resource[]) {}

  run(account: Account, clock: ClockTime, target: number): void {
    for (let steps = 0; ; steps++) {
      const next = this.next(account, clock.id, target)
      if (!next) break
      // Each event changes the state that made it due; a loop here is our bug, not Stripe's behaviour.
      if (steps > 100_000)
        throw notModelled(`a test clock advance with more than 100000 billing events (clock ${clock.id})`)
      clock.frozenTime = Math.max(clock.frozenTime, next.at)
      next.run()
    }
    clock.frozenTime = target
  }

  private next(account: Account, clockId: string, target: number): DueEvent | undefined {
    let best: DueEvent | undefined
    for (const resource of this.resources) {
      for (const event of resource.due?.(account, clockId) ?? []) {
        if (event.at > target) continue
        if (
          !best ||
          event.at < best.at ||
          (event.at === best.at && (event.rank < best.rank || (event.rank === best.rank && event.seq < best.seq)))
        )
          best = event
      }
    }
    return best
  }
}
