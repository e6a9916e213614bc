import Stripe from 'stripe'

import {RunInterrupted} from '../errors.js'
import {CLOCK_NAME_PREFIX} from '../scenario/plan.js'
import type {StripeGateway} from '../stripe/gateway.js'
import {after, listAll} from '../stripe/pagination.js'
import {ClockFailure, type ClockWatcher} from './watcher.js'

export interface ClockSummary {
  id: string
  name: string | null
  status: string
  frozenTime: number
}

export interface CleanupResult {
  selected: ClockSummary[]
  deleted: string[]
  failed: Array<{id: string; reason: string}>
  dryRun: boolean
}

/** stripe-seed's own clocks carry its name prefix; anyone else's never match. */
export function isSeedClock(clock: {name: string | null}): boolean {
  return clock.name?.startsWith(CLOCK_NAME_PREFIX) ?? false
}

/** Every clock of a run is named `stripe-seed:<run id>:…`. */
export function runClockPrefix(runId: string): string {
  return `${CLOCK_NAME_PREFIX}${runId}:`
}

/** Clocks known to belong to some runs: by id (journaled), or by a name carrying one of their run ids. */
export interface RunClocks {
  clockIds: ReadonlySet<string>
  runIds: ReadonlySet<string>
}

/** The clocks of these runs, and only theirs: never another out-dir's run, nor a teammate's, nor anyone else's clock. */
export function selectRunClocks(clocks: ClockSummary[], runs: RunClocks): ClockSummary[] {
  const prefixes = [...runs.runIds].map(runClockPrefix)
  return clocks.filter(
    (clock) =>
      runs.clockIds.has(clock.id) || (clock.name !== null && prefixes.some((prefix) => clock.name!.startsWith(prefix))),
  )
}

export async function listClocks(gateway: StripeGateway): Promise<ClockSummary[]> {
  return listAll(
    (startingAfter) =>
      gateway.read('cleanup', (stripe) => stripe.testHelpers.testClocks.list({limit: 100, ...after(startingAfter)})),
    (clock) => ({id: clock.id, name: clock.name, status: clock.status, frozenTime: clock.frozen_time}),
  )
}

/**
 * Deletes the selected clocks in parallel (one lane each). Deleting a clock deletes its customers
 * and subscriptions (SB-14); a clock still advancing is waited for first, since writes
 * to it are refused until it is ready (SB-13).
 */
export async function deleteClocks(
  gateway: StripeGateway,
  watcher: ClockWatcher,
  clocks: ClockSummary[],
  options: {advanceTimeoutMs: number; onDeleted?: (id: string) => void; signal?: AbortSignal},
): Promise<Pick<CleanupResult, 'deleted' | 'failed'>> {
  const deleted: string[] = []
  const failed: Array<{id: string; reason: string}> = []
  await Promise.all(
    clocks.map(async (clock) => {
      try {
        if (clock.status === 'advancing')
          await watcher
            .waitUntilReady(clock.id, 0, options.advanceTimeoutMs, options.signal)
            .catch((error: unknown) => {
              // A broken clock can still be deleted; only a timeout or a vanished clock stops us.
              if (!(error instanceof ClockFailure && error.reason === 'internal_failure')) throw error
            })
        // DELETE ignores idempotency keys (SB-5): a plain request.
        await gateway.read(`cleanup:${clock.id}`, (stripe) =>
          stripe.testHelpers.testClocks.del(clock.id).then(() => undefined),
        )
        deleted.push(clock.id)
        options.onDeleted?.(clock.id)
      } catch (error) {
        if (error instanceof RunInterrupted) throw error
        // Gone already: someone deleted it, or our delete went through and only its answer was lost.
        if (
          (error instanceof ClockFailure && error.reason === 'deleted') ||
          (error instanceof Stripe.errors.StripeError && error.statusCode === 404)
        ) {
          deleted.push(clock.id)
          return
        }
        failed.push({id: clock.id, reason: error instanceof Error ? error.message : String(error)})
      }
    }),
  )
  return {deleted, failed}
}
