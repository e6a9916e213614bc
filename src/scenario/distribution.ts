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
  const order = exact.map((value, index) => ({index, remainder: value - Math.floor(value)})).sort((a, b) => b.remainder - a.remainder || a.index - b.index)
  for (const {index} of order) {
    if (left <= 0) break
    counts[index] = (counts[index] ?? 0) + 1
    left--
  }
  return counts
}
