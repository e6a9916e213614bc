import {constants} from 'node:fs'
import {copyFile, readFile, stat} from 'node:fs/promises'
import {basename} from 'node:path'

import {type ClockSummary, type RunClocks, runClockPrefix} from '../clocks/cleanup.js'
import {errorMessage} from '../errors.js'
import {type CurrentRunFile, CurrentRunFileSchema, outFile} from '../files/formats.js'
import {type DamagedJournal, listJournals, removeJournal} from './journal.js'

export interface EarlierRuns extends RunClocks {
  /** Journals of runs whose clocks a cleanup selects; removed once every one of their clocks is gone. */
  journals: Array<{path: string; runId: string; clockIds: string[]}>
  /** One line per damaged journal: its run's clocks are still selected, by name. */
  warnings: string[]
}

/**
 * The runs this out-dir knows: every journal under `.stripe-seed/`, and the run `current_run.json`
 * describes (it may predate journals). Their clocks are the only ones a default cleanup deletes:
 * another out-dir's run, or a teammate's, is never among them. A clock created but never journaled
 * (a crash at that instant) is still found by its name, which carries the run id.
 */
export async function earlierRuns(outDir: string, exceptRunId?: string): Promise<EarlierRuns> {
  const clockIds = new Set<string>()
  const runIds = new Set<string>()
  const journals: EarlierRuns['journals'] = []
  const listed = await listJournals(outDir)
  const warnings: string[] = []
  for (const journal of listed.damaged) {
    if (journal.runId === exceptRunId) continue
    runIds.add(journal.runId)
    for (const id of journal.clockIds) clockIds.add(id)
    journals.push(journal)
    warnings.push(damagedJournalWarning(journal))
  }
  for (const journal of listed.journals) {
    const runId = journal.header.run_id
    if (runId === exceptRunId) continue
    runIds.add(runId)
    const ids = journal.entries.flatMap((entry) => (entry.type === 'clock' ? [entry.clock_id] : []))
    for (const id of ids) clockIds.add(id)
    journals.push({path: journal.path, runId, clockIds: ids})
  }
  const current = await readCurrentRun(outDir)
  if (current.warning) warnings.push(current.warning)
  if (current.run && current.run.run_id !== exceptRunId) {
    runIds.add(current.run.run_id)
    for (const id of current.run.clock_ids) clockIds.add(id)
    for (const failed of current.run.failed_clocks) clockIds.add(failed.clock_id)
  }
  return {clockIds, runIds, journals, warnings}
}

/**
 * current_run.json as its schema reads it; a damaged one (torn, edited, not JSON) is not ignored
 * silently, since the next run overwrites it: a copy is kept beside it, named by the file's
 * modification time (the same damage is copied once), and the warning names both.
 */
export async function readCurrentRun(outDir: string): Promise<{run?: CurrentRunFile; warning?: string}> {
  const path = outFile(outDir, 'currentRun')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    return {warning: `Warning: cannot read ${path} (${errorMessage(error)}); going on without it`}
  }
  let problem: string
  try {
    const parsed = CurrentRunFileSchema.safeParse(JSON.parse(text))
    if (parsed.success) return {run: parsed.data}
    const issue = parsed.error.issues[0]
    problem = `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'not a run file'}`
  } catch (error) {
    problem = `not valid JSON: ${errorMessage(error)}`
  }
  const modified = await stat(path).then((stats) => stats.mtime)
  const copy = `${path}.corrupt-${modified
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z')}`
  const kept = await copyFile(path, copy, constants.COPYFILE_EXCL).then(
    () => `kept a copy as ${basename(copy)}`,
    (error: unknown) =>
      (error as NodeJS.ErrnoException).code === 'EEXIST'
        ? `a copy is kept as ${basename(copy)}`
        : `could not keep a copy (${errorMessage(error)})`,
  )
  return {warning: `Warning: ${path} is damaged (${problem}); ${kept}, going on without it`}
}

/** Forgets the journals of runs whose clocks are all gone now; a run with a clock that could not be deleted stays known. */
export async function forgetCleanedRuns(runs: EarlierRuns, notDeleted: ClockSummary[]): Promise<void> {
  for (const journal of runs.journals) {
    const left = notDeleted.some(
      (clock) => journal.clockIds.includes(clock.id) || clock.name?.startsWith(runClockPrefix(journal.runId)),
    )
    if (!left) await removeJournal(journal.path)
  }
}

/** Said before a cleanup that relies on the run id alone for a damaged journal's clocks. */
export function damagedJournalWarning(journal: DamagedJournal): string {
  return `Warning: ${journal.problem}; run ${journal.runId}'s clocks are found by their names instead`
}
