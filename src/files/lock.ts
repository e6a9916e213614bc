import {rmSync} from 'node:fs'
import {hostname} from 'node:os'
import {mkdir, open, readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {UserError, errorMessage} from '../errors.js'

/**
 * Checks that files can be created in the out-dir by creating and removing a probe file, so a
 * read-only directory is found before any request, not at the save step after all of them.
 */
export async function assertWritable(dir: string): Promise<void> {
  const probe = join(dir, `.stripe-seed-probe-${process.pid}`)
  try {
    await mkdir(dir, {recursive: true})
    await writeFile(probe, '')
    await rm(probe, {force: true})
  } catch (error) {
    throw new UserError(`The out-dir ${dir} is not writable: ${errorMessage(error)}`, {
      suggestion: 'Pass --out-dir with a directory you can write to.',
    })
  }
}

export interface LockOwner {
  pid: number
  host: string
  started_at: string
  purpose: string
}

export interface HeldLock {
  path: string
  /** Set when a dead process's lock was taken over: say so. */
  tookOverFrom?: LockOwner
  release(): Promise<void>
  /** For a process about to exit at once (a second Ctrl-C). */
  releaseSync(): void
}

/** True if a process with this pid runs on this machine (signal 0 tests without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * One live run per out-dir: a lock file naming its pid and host, created exclusively. A lock left
 * by a dead process on this host is taken over (and the caller says so); a live one, or one from
 * another host (which cannot be checked), refuses with the owner named.
 */
export async function acquireLock(path: string, purpose: string): Promise<HeldLock> {
  const owner: LockOwner = {pid: process.pid, host: hostname(), started_at: new Date().toISOString(), purpose}
  let tookOverFrom: LockOwner | undefined
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx')
      await handle.writeFile(`${JSON.stringify(owner)}\n`)
      await handle.sync()
      await handle.close()
      let released = false
      return {
        path,
        tookOverFrom,
        release: async () => {
          if (released) return
          released = true
          await rm(path, {force: true})
        },
        releaseSync: () => {
          if (released) return
          released = true
          rmSync(path, {force: true})
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new UserError(`Cannot create the lock file ${path}: ${errorMessage(error)}`)
    }
    const held = await readOwner(path)
    if (held && (held.host !== owner.host || alive(held.pid))) {
      throw new UserError(
        `Another stripe-seed process (pid ${held.pid} on ${held.host}, ${held.purpose} since ${held.started_at}) is using this out-dir; lock file ${path}`,
        {
          suggestion:
            held.host === owner.host
              ? 'Wait for it to finish, or use another --out-dir.'
              : `If that process is gone, delete ${path}.`,
        },
      )
    }
    tookOverFrom = held ?? {pid: 0, host: 'unknown', started_at: 'unknown', purpose: 'unreadable lock'}
    await rm(path, {force: true})
  }
  throw new UserError(`Could not take the lock file ${path}: another process keeps creating it`)
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string')
      return {
        pid: parsed.pid,
        host: parsed.host,
        started_at: String(parsed.started_at),
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- the file may hold anything
        purpose: String(parsed.purpose ?? 'a run'),
      }
  } catch {
    // A lock torn by a crash mid-write: nobody can hold it.
  }
  return undefined
}
