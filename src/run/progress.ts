export type PhaseState = 'pending' | 'running' | 'done' | 'failed'

export interface Phase {
  name: string
  state: PhaseState
  done: number
  failed: number
  total: number
  failedClocks: string[]
}

/**
 * Live counts of a run, phase by phase, for progress views. The run only reports into it; views
 * read it. Clocks move independently, so several month phases can be running at once: a phase
 * starts with its first clock and is done when every clock has finished or failed it.
 */
export class RunProgress {
  readonly phases: Phase[]
  private readonly listeners = new Set<() => void>()
  private readonly clockPhases: string[]

  constructor(months: number, clocks: number) {
    this.clockPhases = ['create', ...Array.from({length: months}, (_, i) => `month ${i + 1}`)]
    this.phases = [
      {name: 'cleanup', state: 'pending', done: 0, failed: 0, total: 0, failedClocks: []},
      ...this.clockPhases.map((name) => ({name, state: 'pending' as PhaseState, done: 0, failed: 0, total: clocks, failedClocks: []})),
      {name: 'save', state: 'pending', done: 0, failed: 0, total: 1, failedClocks: []},
    ]
  }

  phase(name: string): Phase {
    const phase = this.phases.find((p) => p.name === name)
    if (!phase) throw new Error(`BUG: no progress phase "${name}"`)
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

  finish(name: string): void {
    const phase = this.phase(name)
    phase.done = Math.max(phase.done, phase.total)
    phase.state = phase.failed > 0 ? 'failed' : 'done'
    this.changed()
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
