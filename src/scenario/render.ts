import {formatTable, formatUsd, mrrChart} from '../render/table.js'
import type {RunEstimate} from './estimate.js'
import type {Scenario} from './plan.js'

/** The human view of a plan: distribution, event calendar, expected MRR, clocks and cost. */
export function renderScenario(scenario: Scenario, estimate: RunEstimate): string {
  const out: string[] = []
  const planName = new Map(scenario.plans.map((plan) => [plan.key, plan.name]))
  out.push(`Plan for ${scenario.customers.length} customers over ${scenario.months} months (seed ${scenario.seed}, run ${scenario.runId})`, '')
  out.push(
    formatTable(
      ['Plan', '$/screen/mo', 'Screens', 'Customers'],
      scenario.plans.map((plan) => [plan.name, formatUsd(plan.unitAmount), `${plan.screens.min}–${plan.screens.max}`, scenario.distribution[plan.key] ?? 0]),
      ['left', 'right', 'right', 'right'],
    ),
    '',
  )
  out.push('Events by month')
  const kinds = ['upgrade', 'downgrade', 'cancel', 'past_due'] as const
  out.push(
    formatTable(
      ['Month', 'Upgrades', 'Downgrades', 'Cancellations', 'Past due'],
      [
        ...Array.from({length: scenario.months}, (_, i) => {
          const month = i + 1
          const events = scenario.events.filter((event) => event.month === month)
          return [`${month} (${scenario.expected[month]?.label})`, ...kinds.map((kind) => events.filter((event) => event.kind === kind).length)]
        }),
        ['total', ...kinds.map((kind) => scenario.eventCounts[kind])],
      ],
      ['left', 'right', 'right', 'right', 'right'],
    ),
    '',
  )
  out.push('Expected MRR (active + past_due, free plans carry none)')
  out.push(...mrrChart(scenario.expected.map((month) => ({month: month.label, mrrCents: month.mrrCents}))))
  out.push('')
  const perClock = scenario.customersPerClock
  out.push(`Test clocks: ${scenario.clocks.length} (${perClock} customers each${scenario.customers.length % perClock ? `, the last ${scenario.customers.length % perClock}` : ''})`)
  out.push(`API requests: about ${estimate.requests} (${estimate.requestsPerCustomer.toFixed(1)} per customer)`)
  out.push(`Run time: at least ${formatDuration(estimate.seconds)} (requests alone ${formatDuration(estimate.requestBoundSeconds)}; one clock's lane ${formatDuration(estimate.laneBoundSeconds)} assuming ${estimate.assumedAdvanceSeconds}s per advance)`)
  const sample = scenario.events.slice(0, 8)
  if (sample.length > 0) {
    out.push('', 'First events')
    for (const event of sample) {
      const who = scenario.customers[event.customer]!.identity.company
      const what = event.to ? `${planName.get(event.from.plan)} × ${event.from.screens} → ${planName.get(event.to.plan)} × ${event.to.screens}` : `${planName.get(event.from.plan)} × ${event.from.screens}`
      out.push(`  month ${event.month}  ${event.kind.padEnd(9)}  #${event.customer} ${who}: ${what}`)
    }
  }
  return out.join('\n')
}

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)}s`
  const minutes = Math.floor(seconds / 60)
  return minutes < 90 ? `${minutes}m ${Math.round(seconds - minutes * 60)}s` : `${Math.floor(minutes / 60)}h ${minutes % 60}m`
}
