/** A seeded generator; `state` is where it stands, so a generator saved and restored goes on where it was. */
export interface SeededRandom {
  (): number
  state: number
}

/** mulberry32: a small, fast, seedable generator. The planner and the emulator draw every random choice from one. */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0
  const next = (() => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }) as SeededRandom
  Object.defineProperty(next, 'state', {
    get: () => state,
    set: (value: number) => {
      state = value >>> 0
    },
  })
  return next
}

/** A 32-bit seed for a fresh run when the user gave none. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31)
}
