// Types for bench/analysis.js, so the unit test of the bound maths typechecks.
import type {AdvanceLogEntry, RequestLogEntry} from '../src/emulator/server.js'

export interface Bounds {
  meanLatencyMs: number
  neededRequests: number
  creationRequests: number
  today: {seconds: number; requestBound: number; chainBound: number}
  slowestChain: {clock: number; seconds: number; advanceSeconds: number; requests: number}
  true: {seconds: number; creationWait: number; rps: number}
  atCeiling: {seconds: number; creationWait: number; rps: number}
}
export interface Tally {
  waiting: number
  pollLag: number
  latency: number
  advancing: number
}
export interface ClockTimeline {
  clock: number
  end: number
  creation: Tally
  months: Tally
  advances: number
  advanceSeconds: number
}

export function wouldBeRateLimited(log: ReadonlyArray<Pick<RequestLogEntry, 'at'>>, limit: number): number
export function attribute(
  log: RequestLogEntry[],
): Array<RequestLogEntry & {clock?: number; month?: number; role?: 'cleanup' | 'watcher' | 'other'}>
export function bounds(input: {
  log: RequestLogEntry[]
  advanceLog: AdvanceLogEntry[]
  stripeRps: number
  ceilingRps: number
}): Bounds
export function clockTimelines(input: {
  log: RequestLogEntry[]
  advanceLog: AdvanceLogEntry[]
  spawnedAt: number
  exitedAt: number
}): {
  startup: number
  cleanup: number
  finish: number
  critical: ClockTimeline
  mean: {creation: Tally; months: Tally}
  clocks: number
}
