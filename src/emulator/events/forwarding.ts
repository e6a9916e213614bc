import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {UsageError, errorMessage} from '../../errors.js'
import type {ForwardTarget} from './account-events.js'
import {isEventType, newSigningSecret} from './webhook-endpoints.js'

/**
 * `--forward-to URL` (repeatable) and `--events a,b` as `stripe listen` takes them: every URL gets
 * the listed event types, or every event when none are listed (SB-E9).
 */
export function forwardTargets(urls: readonly string[], events: string | undefined): ForwardTarget[] {
  const types =
    events === undefined
      ? []
      : events
          .split(',')
          .map((type) => type.trim())
          .filter((type) => type !== '')
  if (events !== undefined && urls.length === 0)
    throw new UsageError('--events filters what --forward-to sends: give --forward-to URL too')
  const unknown = types.filter((type) => type !== '*' && !isEventType(type))
  if (unknown.length > 0)
    throw new UsageError(`--events: not Stripe event types: ${unknown.join(', ')}`, {
      suggestion: 'e.g. --events invoice.paid,customer.subscription.updated',
    })
  return urls.map((url) => {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new UsageError(`--forward-to takes a URL such as http://localhost:3000/webhook, got "${url}"`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new UsageError(`--forward-to takes an http or https URL, got "${url}"`)
    return types.length > 0 ? {url, events: types} : {url}
  })
}

export interface ForwardingSecret {
  secret: string
  /** `given`: from the flag or env; `saved`: read from `file`; `new`: just made and saved to `file`; `unsaved`: made, but `file` could not be written. */
  source: 'given' | 'saved' | 'new' | 'unsaved'
  file?: string
  /** Why the secret could not be saved (it then changes on the next start). */
  warning?: string
}

export const SECRET_FILE = 'webhook-secret'

/**
 * The secret forwarded events are signed with, stable across restarts like `stripe listen`'s, so
 * a handler configured once keeps verifying: the one given, else the one saved in the user's
 * config directory, else a new one saved there (SB-E9).
 */
export async function resolveForwardingSecret(given: string | undefined, configDir: string): Promise<ForwardingSecret> {
  if (given !== undefined) {
    if (!/^whsec_\S+$/.test(given))
      throw new UsageError(
        '--webhook-secret must look like a Stripe signing secret: whsec_ followed by letters and digits',
      )
    return {secret: given, source: 'given'}
  }
  const file = join(configDir, SECRET_FILE)
  const saved = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  )
  if (saved && /^whsec_\S+$/.test(saved)) return {secret: saved, source: 'saved', file}
  const secret = newSigningSecret()
  try {
    await mkdir(configDir, {recursive: true})
    // Written whole or not at all, readable by the user only: it is a secret.
    const temporary = `${file}.${process.pid}.tmp`
    await writeFile(temporary, `${secret}\n`, {mode: 0o600})
    await rename(temporary, file)
    return {secret, source: 'new', file}
  } catch (error) {
    return {
      secret,
      source: 'unsaved',
      file,
      warning: `could not save the webhook signing secret to ${file} (${errorMessage(error)}); it will change on the next start`,
    }
  }
}
