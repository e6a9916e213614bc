import {Listr, ListrLogger, ProcessOutput} from 'listr2'

import type {Phase, RunProgress} from './progress.js'

export type RendererChoice = 'default' | 'simple' | 'silent'

/** One place decides how progress is drawn: silent under --json, plain lines without a TTY or in CI. */
export function chooseRenderer(options: {json: boolean; isTTY: boolean; ci: boolean}): RendererChoice {
  if (options.json) return 'silent'
  return options.isTTY && !options.ci ? 'default' : 'simple'
}

export interface RunTaskHooks {
  preflight: () => Promise<string>
  execute: () => Promise<unknown>
  progress: () => RunProgress | undefined
  counts: () => {sent: number; retries: number}
}

/**
 * Phases in order: preflight, cleanup, create, months, save. The run itself is not driven by these
 * tasks: they watch its progress. Clocks move through their months independently, so one
 * "months" task shows every month under way on one line with its own count (`✔ 1–3 · month 4
 * ▸ 19/20 · month 5 ▸ 1/20`), and months overlap on screen as they do in Stripe. All progress goes to stderr; stdout stays for the result.
 */
export function buildRunTasks(hooks: RunTaskHooks, renderer: RendererChoice, months: number): Listr<unknown, RendererChoice, 'simple'> {
  const stderr = new ProcessOutput(process.stderr, process.stderr)
  let running: Promise<unknown> | undefined
  const live = renderer === 'default'
  const monthNames = Array.from({length: months}, (_, i) => `month ${i + 1}`)
  const totals = () => {
    const {sent, retries} = hooks.counts()
    return `${sent} requests · ${retries} retries`
  }
  const count = (phase: Phase) => `${phase.done}/${phase.total}${phase.failed > 0 ? ` (${phase.failed} failed)` : ''}`
  const failure = (phases: Phase[]) => {
    // A failed clock is counted in every later month too: name each once.
    const clocks = [...new Set(phases.flatMap((phase) => phase.failedClocks))]
    return `${clocks.length} clock(s) failed: ${clocks.slice(0, 3).join(', ')}${clocks.length > 3 ? ', …' : ''}`
  }

  /** Resolves when every named phase is settled; keeps the task's title (and output) current meanwhile. */
  const watch = (names: string[], render: (phases: Phase[]) => {title: string; output?: string}) => (_ctx: unknown, task: {title: string; output: string}) =>
    new Promise<void>((resolve, reject) => {
      const progress = hooks.progress()
      if (!progress) return resolve()
      let lastOutput = ''
      const check = () => {
        const phases = names.map((name) => progress.phase(name))
        const settled = phases.every((phase) => phase.state === 'done' || phase.state === 'failed')
        const view = render(phases)
        if (live || settled) task.title = view.title
        // Without a TTY, a line per change of output is a log: only settled months are added to it.
        if (view.output !== undefined && view.output !== lastOutput) task.output = lastOutput = view.output
        if (!settled) return
        const failed = phases.filter((phase) => phase.state === 'failed')
        finish(() => (failed.length > 0 ? reject(new Error(failure(failed))) : resolve()))
      }
      const ticker = live ? setInterval(check, 200) : undefined
      const unsubscribe = progress.onChange(check)
      const finish = (then: () => void) => {
        if (ticker) clearInterval(ticker)
        unsubscribe()
        then()
      }
      running?.catch((error: unknown) => finish(() => reject(error)))
      check()
    })

  /** One line for overlapping months: `✔ 1–3 · month 4 ▸ 19/20 · month 5 ▸ 1/20`. */
  const monthsLine = (phases: Phase[]) => {
    const done = phases.filter((phase) => phase.state === 'done').map((phase) => Number(phase.name.slice(6)))
    const parts = done.length > 0 ? [`✔ ${done.length > 1 ? `${done[0]}–${done.at(-1)}` : done[0]}`] : []
    for (const phase of phases) {
      if (phase.state === 'running') parts.push(`${phase.name} ▸ ${count(phase)}`)
      if (phase.state === 'failed') parts.push(`${phase.name} ✖ ${count(phase)}`)
    }
    return parts.join(' · ') || 'waiting for the first advance'
  }
  const runTasks = [
    {title: 'cleanup', task: watch(['cleanup'], ([phase]) => ({title: `cleanup · ${count(phase!)} old clocks deleted · ${totals()}`}))},
    {title: 'create', task: watch(['create'], ([phase]) => ({title: `create · ${count(phase!)} clocks with their customers · ${totals()}`}))},
    {
      title: 'months',
      task: watch(monthNames, (phases) => {
        const settled = phases.filter((phase) => phase.state === 'done' || phase.state === 'failed')
        const last = settled.at(-1)
        return {
          title: live ? `months · ${monthsLine(phases)} · ${totals()}` : `months · ${settled.length}/${phases.length} complete · ${totals()}`,
          // Without a TTY each output is a log line: one per finished month.
          ...(live || !last ? {} : {output: `${last.name} ${last.state === 'done' ? 'complete' : 'FAILED'} · ${count(last)} clocks`}),
        }
      }),
    },
    {title: 'save', task: watch(['save'], () => ({title: `save · ${totals()}`}))},
  ]

  return new Listr(
    [
      {
        title: 'preflight',
        task: async (_ctx, task) => {
          task.title = `preflight · ${await hooks.preflight()}`
          running = hooks.execute()
        },
      },
      {
        title: 'run',
        task: (_ctx, task) => task.newListr(runTasks, {concurrent: false, exitOnError: false}),
      },
    ],
    {
      renderer,
      fallbackRenderer: 'simple',
      // A failed preflight stops everything; inside the run, one phase's failed clocks do not stop the others.
      exitOnError: true,
      rendererOptions: {logger: new ListrLogger({processOutput: stderr}), collapseSubtasks: false},
      fallbackRendererOptions: {logger: new ListrLogger({processOutput: stderr})},
      silentRendererCondition: renderer === 'silent',
    },
  )
}
