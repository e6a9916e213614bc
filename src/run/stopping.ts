import {setMaxListeners} from 'node:events'

import {SIGNAL_EXIT_CODES} from '../errors.js'
import {type StopSignal, watchStopSignals} from '../stop-signals.js'

/** How long in-flight requests may hold an interrupted run before it exits anyway (the journal is consistent either way). */
const STOP_GRACE_MS = 15_000

export interface RunStopping {
  /** Aborted at the first Ctrl-C or SIGTERM: the run starts no new request and saves its journal. */
  signal: AbortSignal
  received: () => StopSignal | undefined
  dispose: () => void
}

/**
 * How `run generate` stops: the first signal aborts the run (no new request, those in flight
 * finish, the journal is saved); a second, or requests still in flight after the grace period,
 * exit at once with the command that resumes the run. Every journal line is written whole or
 * ignored when torn, so stopping at once loses nothing answered.
 */
export function stopRunOnSignals(options: {
  notice: (line: string) => void
  resumeCommand: () => string
  /** Synchronous: the process exits right after. */
  releaseLock: () => void
  graceMs?: number
}): RunStopping {
  const {notice, resumeCommand, releaseLock, graceMs = STOP_GRACE_MS} = options
  const stopping = new AbortController()
  // Every pipeline step listens to it: thousands of clocks at once.
  setMaxListeners(0, stopping.signal)
  const exitNow = (signal: StopSignal, why: string) => {
    notice(`${why} Resume with: ${resumeCommand()}`)
    releaseLock()
    process.exit(SIGNAL_EXIT_CODES[signal])
  }
  const signals = watchStopSignals({
    stop: (signal) => {
      notice(
        `\n${signal}: no new requests; finishing those in flight and saving the journal (Ctrl-C again to stop at once)`,
      )
      stopping.abort()
      setTimeout(
        () => exitNow(signal, `Requests still in flight after ${graceMs / 1000}s; stopping anyway.`),
        graceMs,
      ).unref()
    },
    now: (signal) => exitNow(signal, '\nStopped at once.'),
  })
  return {signal: stopping.signal, received: signals.received, dispose: signals.dispose}
}
