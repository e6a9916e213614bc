import {formatMoney} from '../render/money.js'
import {plural} from '../render/plural.js'
import {formatDuration} from '../render/duration.js'
import type {GenerateResult, RunReach} from './generate.js'

/**
 * The run's summary as a person reads it (stdout); --json gives the result itself instead.
 * `currency` is the one of mrrByMonth: the ledger's reporting currency (config analytics).
 */
export function renderRunResult(result: GenerateResult & {resumeCommand?: string}, currency = 'usd'): string {
  const first = result.mrrByMonth[0]
  const last = result.mrrByMonth.at(-1)
  const headline = {complete: 'complete', partial: 'PARTIAL', failed: 'FAILED', interrupted: 'INTERRUPTED'}[
    result.status
  ]
  const lines = [
    '',
    `Run ${result.runId}${result.resumed ? ' (resumed)' : ''} ${headline} in ${formatDuration(result.wallTimeSeconds)}`,
  ]
  if (result.status === 'interrupted') {
    // Nothing is complete yet: say what was done and what is left, not "0 customers on 0 complete clocks".
    lines.push(`  done           ${doneLine(result.reached)}`, `  left           ${leftLine(result.reached)}`)
    lines.push(`  events         ${result.eventsApplied} applied`)
  } else {
    lines.push(
      `  customers      ${plural(result.customers, 'customer')} on ${plural(result.clocks, 'complete clock')}`,
      `  events         ${result.eventsApplied} applied · ${result.pastDue} past due at the end · ${plural(result.canceled, 'subscription')} ended`,
      `  MRR            ${first ? `${first.month} ${formatMoney(first.mrrCents, currency)}` : '-'} → ${last ? `${last.month} ${formatMoney(last.mrrCents, currency)}` : '-'}`,
    )
  }
  lines.push(
    `  requests       ${plural(result.requests.total, 'request')} (${plural(result.requests.retries, 'retry', 'retries')}, ${result.requests.rateLimited} rate-limited)`,
    ...result.files.map((file, index) => `${index === 0 ? '  files          ' : '                 '}${file}`),
  )
  if (result.files.length === 0) lines.push(`  files          none written; the earlier files are as they were`)
  for (const failed of result.failedClocks)
    lines.push(
      `  failed clock   ${failed.clockId}: ${failed.reason} (customers ${failed.customerIds.join(', ') || 'none created'})`,
    )
  if (result.renewals) {
    const {inferredMonths, checked, mismatches} = result.renewals
    lines.push(
      `  skipped months ${plural(inferredMonths, 'clock-month')} written from the plan · ${plural(checked, 'row')} checked against Stripe's renewal invoices · ${mismatches.length === 0 ? 'all agree' : `${mismatches.length} DISAGREE`}`,
    )
    for (const m of mismatches.slice(0, 10))
      lines.push(
        `  disagreement   ${m.month} ${m.subscriptionId} (${m.customerId}): ${m.field} written ${m.expected}, Stripe billed ${m.actual}`,
      )
    if (mismatches.length > 0)
      lines.push('  the files do not match Stripe: `stripe-seed run verify --months all` shows every month')
  }
  if (result.resumeCommand) lines.push(`  resume with    ${result.resumeCommand}`)
  return lines.join('\n')
}

/** `60 of 60 customers on 20 of 20 clocks created · month 2 of 3 read back on every clock` */
function doneLine({planned, created, months}: RunReach): string {
  const made = `${created.customers} of ${plural(planned.customers, 'customer')} on ${created.clocks} of ${plural(planned.clocks, 'clock')} created`
  if (months.most === 0) return made
  const read =
    months.fewest === months.most
      ? `month ${months.most} of ${planned.months} read back on every clock`
      : `months ${months.fewest}–${months.most} of ${planned.months} read back, by clock`
  return `${made} · ${read}`
}

/** `month 3 on every clock, then the files` */
function leftLine({planned, created, months}: RunReach): string {
  const parts: string[] = []
  if (created.customers < planned.customers)
    parts.push(`${plural(planned.customers - created.customers, 'customer')} to create`)
  if (months.fewest < planned.months) {
    const next = months.fewest + 1
    parts.push(next === planned.months ? `month ${next}` : `months ${next}–${planned.months}`)
  }
  return `${[...parts, 'the files'].join(', then ')} (resume to continue)`
}
