import {Listr, ListrLogger, ProcessOutput} from 'listr2'

import type {RunProgress} from './progress.js'

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
 * A flat list of phases (preflight, cleanup, create, month 1..M, save). The run itself is not
 * driven by these tasks: they watch its progress, so months overlap on screen as clocks overlap in
 * Stripe. All progress goes to stderr; stdout stays for the result.
 */
export function buildRunTasks(hooks: RunTaskHooks, renderer: RendererChoice, phaseNames: string[]): Listr<unknown, RendererChoice, "simple"> {
  const stderr = new ProcessOutput(process.stderr, process.stderr)
  let running: Promise<unknown> | undefined
  const live = renderer === 'default'
  const describe = (name: string) => {
    const phase = hooks.progress()?.phase(name)
    const {sent, retries} = hooks.counts()
    if (!phase) return name
    if (name === 'save') return `save · ${sent} requests · ${retries} retries`
    const clocks = name === 'cleanup' ? `${phase.done}/${phase.total} old clocks deleted` : `${phase.done}/${phase.total} clocks`
    const failed = phase.failed > 0 ? ` · ${phase.failed} failed` : ''
    return `${name} · ${clocks}${failed} · ${sent} requests · ${retries} retries`
  }
  const waitFor = (name: string) => (_ctx: unknown, task: {title: string}) =>
    new Promise<void>((resolve, reject) => {
      const progress = hooks.progress()
      if (!progress) return resolve()
      const check = () => {
        const phase = progress.phase(name)
        if (live || phase.state === 'done' || phase.state === 'failed') task.title = describe(name)
        if (phase.state === 'done') finish(resolve)
        else if (phase.state === 'failed') finish(() => reject(new Error(`${describe(name)}: ${phase.failedClocks.slice(0, 3).join(', ')}${phase.failedClocks.length > 3 ? ', …' : ''}`)))
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
        task: (_ctx, task) =>
          task.newListr(
            phaseNames.map((name) => ({title: name, task: waitFor(name), exitOnError: false})),
            {concurrent: true, exitOnError: false},
          ),
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
