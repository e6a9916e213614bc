import type Stripe from 'stripe'
import {addIntervals} from '../../billing-time.js'
import type {Account} from '../account.js'
import {ApiError, invalid} from '../errors.js'
import {checkParams, int, optStr, required} from '../params.js'
import {COMMON, PAGINATION, type Resource, type RouteContext, list, route} from '../resource.js'
import {collectionKey} from '../store.js'
import type {Wire} from '../wire.js'

export interface ClockRecord {
  id: string
  created: number
  name: string | null
  frozenTime: number
  status: 'ready' | 'advancing' | 'internal_failure'
  targetFrozenTime?: number
  /** Wall-clock ms when the running advance completes. */
  readyAt?: number
  failNextAdvance: boolean
  seq: number
}

export const CLOCKS = collectionKey<ClockRecord>('clocks', 'test clock')
/** Clocks with an advance under way: the only ones a request has to look at. */
const ADVANCING = 'advancing-clocks'

export function renderClock(clock: ClockRecord): Wire<Stripe.TestHelpers.TestClock> {
  return {
    id: clock.id,
    object: 'test_helpers.test_clock',
    created: clock.created,
    deletes_after: clock.created + 30 * 86_400, // SB-14: seen 30 days
    frozen_time: clock.frozenTime,
    livemode: false,
    name: clock.name,
    status: clock.status,
    // Present while advancing (SB-10).
    status_details:
      clock.status === 'advancing' && clock.targetFrozenTime !== undefined
        ? {advancing: {target_frozen_time: clock.targetFrozenTime}}
        : {},
  }
}

/** Writes to a clock's objects are refused while it advances (SB-13), and for good once it failed (SB-10). */
export function assertClockWritable(account: Account, testClock: string | null): void {
  if (!testClock) return
  const clock = account.store.of(CLOCKS).get(testClock)
  if (clock?.status === 'advancing') {
    throw new ApiError(
      400,
      'invalid_request_error',
      `Test clock advancement underway: objects on test clock ${testClock} cannot be modified until it is ready.`,
    )
  }
  if (clock?.status === 'internal_failure') {
    throw new ApiError(
      400,
      'invalid_request_error',
      `Test clock ${testClock} is in internal_failure and can no longer be used.`,
    )
  }
}

/** An advance may move at most two intervals of the shortest subscription on the clock; two years without any (SB-12). */
function maxAdvanceTarget(account: Account, clock: ClockRecord): number {
  const shortest = account.advanceLimit(clock.id)
  if (!shortest) return addIntervals(clock.frozenTime, 'year', 2)
  return addIntervals(clock.frozenTime, shortest.interval, 2 * shortest.count)
}

/** How many intervals of the clock's shortest subscription an advance to `target` crosses (0 without one): its billing work. */
function intervalsCrossed(account: Account, clock: ClockRecord, target: number): number {
  const shortest = account.advanceLimit(clock.id)
  if (!shortest) return 0
  const one = addIntervals(clock.frozenTime, shortest.interval, shortest.count) - clock.frozenTime
  return (target - clock.frozenTime) / one
}

/** Completes every advance whose time has come: billing first, then `ready` (or `internal_failure`). */
export function settleClocks(account: Account): void {
  const advancing = account.store.index(ADVANCING)
  const ids = advancing.ids('all')
  if (ids.length === 0) return
  const now = account.options.wallNow()
  const clocks = account.store.of(CLOCKS)
  const due = ids
    .map((id) => clocks.get(id))
    .filter((clock): clock is ClockRecord => clock !== undefined && (clock.readyAt ?? 0) <= now)
    .sort((a, b) => (a.readyAt ?? 0) - (b.readyAt ?? 0))
  const request = account.request
  account.request = null // changes made by a clock have no request (SB-68)
  try {
    for (const clock of due) {
      advancing.remove('all', clock.id)
      if (clock.failNextAdvance) {
        clock.status = 'internal_failure'
        delete clock.targetFrozenTime
        delete clock.readyAt
        account.emit('test_helpers.test_clock.internal_failure', () => renderClock(clock), null)
        continue
      }
      account.time.run(account, clock, clock.targetFrozenTime ?? clock.frozenTime)
      clock.status = 'ready'
      delete clock.targetFrozenTime
      delete clock.readyAt
      account.emit('test_helpers.test_clock.ready', () => renderClock(clock), null)
    }
  } finally {
    account.request = request
  }
}

function clockOf(ctx: RouteContext): ClockRecord {
  return ctx.account.store.of(CLOCKS).require(ctx.ids[0] ?? '')
}

export const testClocks: Resource = {
  object: 'test_helpers.test_clock',
  idPrefixes: ['clock_'],
  render: (account, id) => {
    const clock = account.store.of(CLOCKS).get(id)
    return clock && renderClock(clock)
  },
  documentedParams: {
    file: 'TestHelpers/TestClocks.d.ts',
    interfaces: [
      'TestClockCreateParams',
      'TestClockAdvanceParams',
      'TestClockListParams',
      'TestClockRetrieveParams',
      'TestClockDeleteParams',
    ],
  },
  routes: [
    route('POST', '/v1/test_helpers/test_clocks', (ctx) => {
      checkParams(
        ctx.params,
        'TestClockCreateParams',
        [...COMMON, 'frozen_time', 'name'],
        'POST /v1/test_helpers/test_clocks',
      )
      const {account} = ctx
      const clock: ClockRecord = {
        id: account.newId('clock_'),
        created: account.wallSeconds(), // the clock's own created is wall time (SB-9)
        name: optStr(ctx.params.name, 'name') ?? null,
        frozenTime: int(required(ctx.params, 'frozen_time'), 'frozen_time'),
        status: 'ready',
        failNextAdvance: false,
        seq: account.nextSeq(),
      }
      account.store.of(CLOCKS).set(clock.id, clock)
      account.emit('test_helpers.test_clock.created', () => renderClock(clock), null)
      return renderClock(clock)
    }),
    route('GET', '/v1/test_helpers/test_clocks/:id', (ctx) => {
      checkParams(ctx.params, 'TestClockRetrieveParams', COMMON, 'GET /v1/test_helpers/test_clocks/{id}')
      return renderClock(clockOf(ctx))
    }),
    route('GET', '/v1/test_helpers/test_clocks', (ctx) => {
      // Only pagination: no filter by name or status (SB-15).
      checkParams(ctx.params, 'TestClockListParams', [...COMMON, ...PAGINATION], 'GET /v1/test_helpers/test_clocks')
      return list(ctx, ctx.account.store.of(CLOCKS).values(), renderClock)
    }),
    route('DELETE', '/v1/test_helpers/test_clocks/:id', (ctx) => {
      checkParams(ctx.params, 'TestClockDeleteParams', [], 'DELETE /v1/test_helpers/test_clocks/{id}')
      const {account} = ctx
      const clock = clockOf(ctx)
      if (clock.status === 'advancing') assertClockWritable(account, clock.id)
      // Deleting a clock deletes its customers, their subscriptions and invoices (SB-14); dependents forget first.
      for (const resource of account.clockDeletionOrder) resource.onClockDeleted?.(account, clock.id)
      account.store.index(ADVANCING).remove('all', clock.id)
      account.store.of(CLOCKS).delete(clock.id)
      const deleted = {
        id: clock.id,
        object: 'test_helpers.test_clock',
        deleted: true,
      } satisfies Wire<Stripe.TestHelpers.DeletedTestClock>
      account.emit('test_helpers.test_clock.deleted', () => renderClock(clock), null)
      return deleted
    }),
    route('POST', '/v1/test_helpers/test_clocks/:id/advance', (ctx) => {
      checkParams(
        ctx.params,
        'TestClockAdvanceParams',
        [...COMMON, 'frozen_time'],
        'POST /v1/test_helpers/test_clocks/{id}/advance',
      )
      const {account} = ctx
      const clock = clockOf(ctx)
      const target = int(required(ctx.params, 'frozen_time'), 'frozen_time')
      if (clock.status === 'internal_failure')
        throw invalid(`Test clock ${clock.id} is in internal_failure and cannot be advanced.`, 'frozen_time')
      if (clock.status === 'advancing') assertClockWritable(account, clock.id)
      // A clock only moves forward (SB-9).
      if (target <= clock.frozenTime)
        throw invalid(
          `The frozen_time must be after the test clock's current frozen_time (${clock.frozenTime}).`,
          'frozen_time',
        )
      const limit = maxAdvanceTarget(account, clock)
      if (target > limit)
        throw invalid(
          `Cannot advance test clock ${clock.id} more than two intervals of its shortest subscription (to ${limit} at the most).`,
          'frozen_time',
        )
      const advancing = account.store.index(ADVANCING)
      const concurrent = advancing.size('all')
      advancing.add('all', clock.id)
      clock.status = 'advancing'
      clock.targetFrozenTime = target
      const duration = ctx.advance.durationMs(concurrent, intervalsCrossed(account, clock, target))
      clock.readyAt = account.options.wallNow() + duration
      clock.failNextAdvance = ctx.advance.fails(clock)
      ctx.advance.onAdvance(clock, duration)
      account.emit('test_helpers.test_clock.advancing', () => renderClock(clock), null)
      return renderClock(clock)
    }),
  ],
}
