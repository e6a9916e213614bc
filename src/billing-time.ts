export type Interval = 'day' | 'week' | 'month' | 'year'

const DAY = 86_400

function daysInMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate()
}

/**
 * `anchor` plus `count` intervals, the way Stripe bills: monthly periods keep the anchor's day of
 * month and clamp it to the month's last day (an anchor on the 31st renews on Feb 28/29, then on
 * Mar 31). Always computed from the anchor, never from the previous period, so clamping never drifts.
 */
export function addIntervals(anchor: number, interval: Interval, count: number): number {
  if (interval === 'day') return anchor + count * DAY
  if (interval === 'week') return anchor + count * 7 * DAY
  const months = interval === 'year' ? count * 12 : count
  const date = new Date(anchor * 1000)
  const totalMonths = date.getUTCFullYear() * 12 + date.getUTCMonth() + months
  const year = Math.floor(totalMonths / 12)
  const monthIndex = totalMonths % 12
  const day = Math.min(date.getUTCDate(), daysInMonth(year, monthIndex))
  return Date.UTC(year, monthIndex, day, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()) / 1000
}

export const HOUR = 3600
export {DAY}

/** `YYYY-MM` of a unix time, in UTC: how snapshot rows name their month. */
export function monthLabel(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 7)
}

/**
 * The simulated period starts at 00:00 UTC on the 1st of the month `months` months before `now`'s
 * month. Starting on the 1st means no anchor day is ever clamped (no 29th–31st), so every monthly
 * renewal lands on the 1st and month k's advance target is simply start + k months + a margin.
 */
export function simulationStart(now: Date, months: number): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1) / 1000
}
