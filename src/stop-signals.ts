/** The signals that stop a command cleanly: Ctrl-C and SIGTERM (exit 130 and 143, SIGNAL_EXIT_CODES). */
export type StopSignal = 'SIGINT' | 'SIGTERM'

/**
 * Ctrl-C and SIGTERM while a command works: the first calls `stop` (no new request; those in
 * flight finish), a second calls `now` (the caller exits at once). Until disposed. Shared by
 * `prices seed` and `run generate`, so both stop the same way.
 */
export function watchStopSignals(handlers: {stop: (signal: StopSignal) => void; now: (signal: StopSignal) => void}): {
  received: () => StopSignal | undefined
  dispose: () => void
} {
  let received: StopSignal | undefined
  const on = (signal: StopSignal) => () => {
    if (received) return handlers.now(received)
    received = signal
    handlers.stop(signal)
  }
  const onInt = on('SIGINT')
  const onTerm = on('SIGTERM')
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  return {
    received: () => received,
    dispose: () => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
    },
  }
}
