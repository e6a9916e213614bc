import {afterAll, afterEach, beforeAll} from 'vitest'

import {type EmulatorOptions, type RunningEmulator, startEmulator} from '../../src/emulator/server.js'

/** Fast by default: tests want the behaviour, not Stripe's pace. */
export const FAST: EmulatorOptions = {
  port: 0,
  latencyMs: 0,
  advanceMs: [20, 60],
  advancePerConcurrentMs: 0,
  rateLimit: 0,
}

/** One emulator for a test file, started before its tests and closed after. */
export function useEmulator(options: EmulatorOptions = {}) {
  const holder: {emulator?: RunningEmulator} = {}
  beforeAll(async () => {
    holder.emulator = await startEmulator({...FAST, ...options})
  })
  afterAll(async () => {
    await holder.emulator?.close()
  })
  return () => {
    if (!holder.emulator) throw new Error('emulator not started')
    return holder.emulator
  }
}

/** A fresh emulator per call, each closed after the test that started it. */
export function useFreshEmulators(): (options?: EmulatorOptions) => Promise<RunningEmulator> {
  const started: RunningEmulator[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.close()))
  })
  return async (options = {}) => {
    const running = await startEmulator({...FAST, ...options})
    started.push(running)
    return running
  }
}
