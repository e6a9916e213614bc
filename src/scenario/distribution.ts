/**
 * Scales `weights` to whole numbers that add up to exactly `total` (Hamilton's largest-remainder
 * method): each gets the floor of its share, and the units left over go to the largest remainders,
 * ties to the earlier entry. At total = sum(weights) it returns the weights unchanged.
 */
export function largestRemainder(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0)
  if (sum <= 0) return weights.map(() => 0)
  const exact = weights.map((weight) => (weight * total) / sum)
  const counts = exact.map(Math.floor)
  let left = total - counts.reduce((a, b) => a + b, 0)
  const order = exact
    .map((value, index) => ({index, remainder: value - Math.floor(value)}))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index)
  for (const {index} of order) {
    if (left <= 0) break
    counts[index] = (counts[index] ?? 0) + 1
    left--
  }
  return counts
}

/**
 * Screens carry over on a plan change, clamped into the new plan's range: an upgrade lifts a
 * customer to the new plan's minimum, a downgrade caps them at its maximum.
 */
export function clampScreens(screens: number, plan: {screens: {min: number; max: number}}): number {
  return Math.min(plan.screens.max, Math.max(plan.screens.min, screens))
}

/** Fisher–Yates with the planner's seeded random: the same seed gives the same order. */
export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
}
