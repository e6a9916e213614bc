/** YYYY-MM with a month from 01 to 12: `2026-13` has the right shape and is still no month. */
export function isValidMonth(month: string): boolean {
  const match = /^(\d{4})-(\d{2})$/.exec(month)
  if (!match) return false
  const number = Number(match[2])
  return number >= 1 && number <= 12
}

/**
 * The months a file holds, for an error that names them: "2026-01 to 2026-04" when they run on
 * without a gap, else each one; "only 2026-01" for one, "no months" for none.
 */
export function describeMonths(months: readonly string[]): string {
  if (months.length === 0) return 'no months'
  if (months.length === 1) return `only ${months[0]}`
  const index = (month: string) => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7))
  const contiguous = months.every((month, i) => i === 0 || index(month) === index(months[i - 1]!) + 1)
  return contiguous ? `${months[0]} to ${months.at(-1)}` : months.join(', ')
}
