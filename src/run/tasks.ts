import {Listr, ListrLogger, ProcessOutput} from 'listr2'

import {plural} from '../render/plural.js'
import {formatDuration} from '../render/duration.js'
import type {Phase, RunProgress} from './progress.js'

export type RendererChoice = 'default' | 'simple'

/**
 * One place decides how progress is drawn: live on a terminal, plain lines otherwise. Under --json
 * it is plain lines too: progress goes to stderr, the result alone to stdout.
 */
export function chooseRenderer(options: {json: boolean; isTTY: boolean; ci: boolean}): RendererChoice {
  return options.isTTY && !options.ci && !options.json ? 'default' : 'simple'
}

const settled = (phase: Phase) => phase.state === 'done' || phase.state === 'failed'
const over = (phase: Phase) => settled(phase) || phase.state === 'skipped'
const count = (phase: Phase) => `${phase.done}/${phase.total}${phase.failed > 0 ? ` (${phase.failed} failed)` : ''}`
/** Running months shown at once: with more, the line would not fit 80 columns. */
const MONTHS_SHOWN = 3

/** One line for overlapping months: `✔ 1–3 · 4 ▸ 19/20 · 5 ▸ 1/20`, within 80 columns. */
export function monthsLine(phases: Phase[]): string {
  const done = phases.filter((phase) => phase.state === 'done').map((phase) => phase.month)
  const parts = done.length > 0 ? [`✔ ${done.length > 1 ? `${done[0]}–${done.at(-1)}` : done[0]}`] : []
  const active = phases.filter((phase) => phase.state === 'running' || phase.state === 'failed')
  for (const phase of active.slice(0, MONTHS_SHOWN))
    parts.push(`${phase.month} ${phase.state === 'failed' ? '✖' : '▸'} ${count(phase)}`)
  if (active.length > MONTHS_SHOWN) parts.push(`+${active.length - MONTHS_SHOWN} more`)
  return parts.join(' · ') || 'waiting for the first advance'
}

/** `1,234 requests · 5 retries · 1m 2s elapsed · about 3m left` */
export function statusLine(progress: RunProgress, counts: {sent: number; retries: number}, now = Date.now()): string {
  const left = progress.secondsLeft(now)
  return [
    plural(counts.sent, 'request'),
    plural(counts.retries, 'retry', 'retries'),
    `${formatDuration((now - progress.startedAt) / 1000)} elapsed`,
    ...(left === undefined || left < 1 ? [] : [`about ${formatDuration(left)} left`]),
  ].join(' · ')
}

function failure(phases: Phase[]): string {
  // A failed clock is counted in every later month too: name each once.
  const clocks = [...new Set(phases.flatMap((phase) => phase.failedClocks))]
  return `${plural(clocks.length, 'clock')} failed: ${clocks.slice(0, 3).join(', ')}${clocks.length > 3 ? ', …' : ''}`
}

/**
 * A pure view of a run's progress: the run is not driven by these tasks, they only watch
 * RunProgress. Phases in order: prices seed (with --seed-prices), preflight, cleanup, create,
 * months, save. Clocks move through their months independently, so one "months" task shows every
 * month under way on one line. A failed preflight shows as `✖ preflight`; its cause is printed
 * once, by the command. Everything goes to stderr; stdout stays for the result.
 */
export function buildRunTasks(
  progress: RunProgress,
  renderer: RendererChoice,
  counts: () => {sent: number; retries: number},
): Listr<unknown, RendererChoice> {
  const stderr = new ProcessOutput(process.stderr, process.stderr)
  const live = renderer === 'default'

  type Task = {title: string; output: string; skip: (message?: string) => void}
  /** Resolves when every named phase is settled (or the run ended); keeps the task's title current meanwhile. */
  const watch =
    (
      names: () => string[],
      render: (phases: Phase[]) => {title: string; output?: () => string; outputKey?: string; skipped?: string},
    ) =>
    (_ctx: unknown, task: Task) =>
      new Promise<void>((resolve, reject) => {
        let lastKey: string | undefined
        const check = () => {
          const phases = names()
            .filter((name) => progress.has(name))
            .map((name) => progress.phase(name))
          const done = phases.length > 0 && phases.every(over)
          if (phases.length === 0 && !progress.ended) return
          const view = render(phases)
          if (live || done) task.title = view.title
          // Without a TTY each change of output is a log line: only a new key (a settled month) adds one.
          const key = view.outputKey ?? (view.output ? 'live' : undefined)
          if (view.output && (live || key !== lastKey)) task.output = view.output()
          lastKey = key
          if (!done && !progress.ended) return
          if (ticker) clearInterval(ticker)
          unsubscribe()
          if (!done) return resolve(task.skip(`${view.title} · not finished`))
          // Stopped by a signal: the phase's own name, and what became of it.
          if (phases.some((phase) => phase.state === 'skipped')) {
            task.title = view.title.split(' · ')[0]!
            return resolve(task.skip(view.skipped ?? 'not finished'))
          }
          const failed = phases.filter((phase) => phase.state === 'failed')
          // The cause of a failed step (not a clock) is printed once, by the command.
          if (failed.length > 0)
            reject(new Error(failed.some((phase) => phase.failedClocks.length > 0) ? failure(failed) : 'cause below'))
          else resolve()
        }
        const ticker = live ? setInterval(check, 200) : undefined
        const unsubscribe = progress.onChange(check)
        check()
      })

  const monthNames = () => Array.from({length: progress.months}, (_, i) => `month ${i + 1}`)
  const runTasks = [
    {
      title: 'cleanup',
      task: watch(
        () => ['cleanup'],
        ([phase]) => ({
          title: `cleanup · ${!phase || phase.total === 0 ? 'no earlier clocks of this out-dir' : `${phase.done}/${plural(phase.total, 'earlier clock')} deleted`}`,
        }),
      ),
    },
    {
      title: 'create',
      task: watch(
        () => ['create'],
        ([phase]) => ({
          title: `create · ${phase ? count(phase) : ''} clocks with their customers`,
          ...(live ? {output: () => statusLine(progress, counts())} : {}),
        }),
      ),
    },
    {
      title: 'months',
      task: watch(monthNames, (phases) => {
        const last = phases.filter(settled).at(-1)
        return {
          title: live
            ? `months · ${monthsLine(phases)}`
            : `months · ${phases.filter(settled).length}/${phases.length} complete`,
          skipped: `${phases.filter(settled).length}/${phases.length} complete when stopped`,
          // Without a TTY each output is a log line: one per finished month.
          ...(live
            ? {output: () => statusLine(progress, counts())}
            : last
              ? {
                  outputKey: last.name,
                  output: () =>
                    `${last.name} ${last.state === 'done' ? 'complete' : 'FAILED'} · ${count(last)} ${last.total === 1 ? 'clock' : 'clocks'} · ${statusLine(progress, counts())}`,
                }
              : {}),
        }
      }),
    },
    {
      title: 'save',
      task: watch(
        () => ['save'],
        () => ({
          title: `save · ${statusLine(progress, counts())}`,
          skipped: 'nothing written: the earlier files are as they were',
        }),
      ),
    },
  ]

  return new Listr(
    [
      {
        title: 'prices seed',
        enabled: progress.has('prices'),
        task: watch(
          () => ['prices'],
          () => ({title: 'prices seed'}),
        ),
      },
      {
        title: 'preflight',
        task: watch(
          () => ['preflight'],
          ([phase]) => ({title: phase?.state === 'done' && phase.note ? `preflight · ${phase.note}` : 'preflight'}),
        ),
      },
      {
        title: 'run',
        task: (_ctx, run) =>
          run.newListr(
            [
              ...runTasks,
              {
                // Untitled, so not drawn: a stopped run is not ticked, it says it was stopped (the summary says what is left).
                task: () => {
                  if (progress.stopped) run.skip('stopped before its end; the journal holds every step done')
                },
              },
            ],
            {concurrent: false, exitOnError: false},
          ),
      },
    ],
    {
      renderer,
      fallbackRenderer: 'simple',
      // A failed preflight stops the view; inside the run, one phase's failed clocks do not stop the others.
      exitOnError: true,
      // The command handles Ctrl-C (finish in-flight work, save the journal); listr2 would exit 127.
      registerSignalListeners: false,
      rendererOptions: {
        logger: new ListrLogger({processOutput: stderr}),
        collapseSubtasks: false,
        showErrorMessage: true,
      },
      fallbackRendererOptions: {logger: new ListrLogger({processOutput: stderr})},
    },
  )
}
