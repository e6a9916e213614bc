/** YYYY-MM with a month from 01 to 12: `2026-13` has the right shape and is still no month. */
export function isValidMonth(month: string): boolean {
  const match = /^(\d{4})-(\d{2})$/.exec(month)
  if (!match) return false
  const number = Number(match[2])
  return number >= 1 && number <= 12
}
