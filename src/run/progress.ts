import {BugError} from '../errors.js'

/** `skipped`: the run was stopped (Ctrl-C, SIGTERM) before the phase could end. */
export type PhaseState = 'pending' | 'running' | 'done' | 'failed' | 'skipped'

/** A clock's phase: its creation, or one month of its months (1-based). */
export type ClockPhase = 'create' | {month: number}

/** The progress name of a clock phase ("create", "month 3"). */
export function phaseName(phase: ClockPhase): string {
  return phase === 'create' ? 'create' : `month ${phase.month}`
}

export interface Phase {
  name: string
  /** Set on a month's phase: which month, so views never parse it back out of the name. */
  month?: number
  state: PhaseState
  done: number
  failed: number
  total: number
  failedClocks: string[]
  /** A one-line summary the view may show once the phase is done (e.g. what preflight found). */
  note?: string
}

const newPhase = (name: string, total = 0, month?: number): Phase => ({
  name,
  ...(month !== undefined ? {month} : {}),
  state: 'pending',
  done: 0,
  failed: 0,
  total,
  failedClocks: [],
})

/**
 * Live counts of a run, phase by phase, for progress views. The run only reports into it; views
 * read it. Phases: `prices` (with --seed-prices), `preflight`, then, once the run is planned,
 * `cleanup`, `create`, `month 1`…`month N`, `save`. Clocks move independently, so several month
 * phases can be running at once: a phase starts with its first clock and is done when every clock
 * has finished or failed it.
 */
export class RunProgress {
  readonly phases: Phase[]
  readonly startedAt: number
  /** The plan's estimate of the whole run, in seconds: the time-left guess until enough is done. */
  estimateSeconds?: number
  months = 0
  /** Set when the run is over, whatever its outcome: views stop watching. */
  ended = false
  /** Set when the run was stopped before its end: the view says so instead of ticking or failing it. */
  stopped = false
  private readonly listeners = new Set<() => void>()
  private clockPhases: string[] = []

  constructor(options: {seedPrices?: boolean; now?: () => number} = {}) {
    this.startedAt = (options.now ?? Date.now)()
    this.phases = [...(options.seedPrices ? [newPhase('prices', 1)] : []), newPhase('preflight', 1)]
  }

  /** Adds the run's phases once its plan is known (a resumed run learns it from its journal). */
  plan(months: number, clocks: number, estimateSeconds: number): void {
    this.months = months
    this.estimateSeconds = estimateSeconds
    const clockPhases: ClockPhase[] = ['create', ...Array.from({length: months}, (_, i) => ({month: i + 1}))]
    this.clockPhases = clockPhases.map(phaseName)
    this.phases.push(
      newPhase('cleanup'),
      ...clockPhases.map((phase) => newPhase(phaseName(phase), clocks, phase === 'create' ? undefined : phase.month)),
      newPhase('save', 1),
    )
    this.changed()
  }

  has(name: string): boolean {
    return this.phases.some((p) => p.name === name)
  }

  phase(name: string): Phase {
    const phase = this.phases.find((p) => p.name === name)
    if (!phase) throw new BugError(`no progress phase "${name}"`)
    return phase
  }

  start(name: string): void {
    const phase = this.phase(name)
    if (phase.state === 'pending') {
      phase.state = 'running'
      this.changed()
    }
  }

  setTotal(name: string, total: number): void {
    this.phase(name).total = total
    this.changed()
  }

  tick(name: string): void {
    const phase = this.phase(name)
    phase.state = phase.state === 'pending' ? 'running' : phase.state
    phase.done++
    this.settle(phase)
    this.changed()
  }

  /** A clock that fails in one phase is counted as failed in it and in every later clock phase. */
  fail(name: string, clockName: string): void {
    const from = this.clockPhases.indexOf(name)
    for (const later of this.clockPhases.slice(Math.max(0, from))) {
      const phase = this.phase(later)
      if (phase.state === 'pending') phase.state = 'running'
      phase.failed++
      phase.failedClocks.push(clockName)
      this.settle(phase)
    }
    this.changed()
  }

  finish(name: string, note?: string): void {
    const phase = this.phase(name)
    phase.done = Math.max(phase.done, phase.total)
    phase.state = phase.failed > 0 ? 'failed' : 'done'
    if (note !== undefined) phase.note = note
    this.changed()
  }

  /** A phase that could not finish (preflight refused, the run was interrupted). */
  abort(name: string, note?: string): void {
    const phase = this.phase(name)
    phase.state = 'failed'
    if (note !== undefined) phase.note = note
    this.changed()
  }

  /** The run was stopped (Ctrl-C, SIGTERM): the phases not yet ended are skipped, not failed. */
  stop(): void {
    this.stopped = true
    for (const phase of this.phases) if (phase.state === 'pending' || phase.state === 'running') phase.state = 'skipped'
    this.changed()
  }

  end(): void {
    this.ended = true
    this.changed()
  }

  /** Share of the clocks' work settled (creations and months), 0 to 1. */
  fractionDone(): number {
    const phases = this.clockPhases.map((name) => this.phase(name))
    const total = phases.reduce((sum, phase) => sum + phase.total, 0)
    return total === 0
      ? 0
      : phases.reduce((sum, phase) => sum + Math.min(phase.total, phase.done + phase.failed), 0) / total
  }

  /** Seconds left: measured progress once a tenth is done, the plan's estimate before that. */
  secondsLeft(now = Date.now()): number | undefined {
    const elapsed = (now - this.startedAt) / 1000
    const fraction = this.fractionDone()
    if (fraction >= 0.1) return (elapsed * (1 - fraction)) / fraction
    return this.estimateSeconds === undefined ? undefined : Math.max(0, this.estimateSeconds - elapsed)
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private settle(phase: Phase): void {
    if (phase.done + phase.failed >= phase.total && phase.total > 0) phase.state = phase.failed > 0 ? 'failed' : 'done'
  }

  private changed(): void {
    for (const listener of this.listeners) listener()
  }
}
