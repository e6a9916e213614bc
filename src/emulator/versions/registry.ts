import Stripe from 'stripe'

import {ApiError, notModelled} from '../errors.js'

/**
 * The API versions the emulator serves, oldest first: every version Stripe released from
 * 2022-08-01 on (SB-V4). Objects are held in the newest shape, the version stripe-node pins; older
 * versions are rendered by the changes in `changes/`, each one step back (SB-V5).
 */
export const VERSIONS = [
  '2022-08-01',
  '2022-11-15',
  '2023-08-16',
  '2023-10-16',
  '2024-04-10',
  '2024-06-20',
  '2024-09-30.acacia',
  '2024-10-28.acacia',
  '2024-11-20.acacia',
  '2024-12-18.acacia',
  '2025-01-27.acacia',
  '2025-02-24.acacia',
  '2025-03-31.basil',
  '2025-04-30.basil',
  '2025-05-28.basil',
  '2025-06-30.basil',
  '2025-07-30.basil',
  '2025-08-27.basil',
  '2025-09-30.clover',
  '2025-10-29.clover',
  '2025-11-17.clover',
  '2025-12-15.clover',
  '2026-01-28.clover',
  '2026-02-25.clover',
  '2026-03-25.dahlia',
  '2026-04-22.dahlia',
  '2026-05-27.dahlia',
  '2026-06-24.dahlia',
  '2026-07-29.dahlia',
  '2026-08-26.dahlia',
  '2026-09-30.endive',
  '2026-10-28.endive',
] as const

export type ApiVersion = (typeof VERSIONS)[number]

export const OLDEST_VERSION: ApiVersion = VERSIONS[0]
/** The shape objects are held in: the version stripe-node pins. */
export const LATEST_VERSION = VERSIONS.at(-1) as ApiVersion

if (LATEST_VERSION !== Stripe.API_VERSION)
  throw new Error(
    `stripe-node pins ${Stripe.API_VERSION}, the emulator's newest version is ${LATEST_VERSION}: add the new version to src/emulator/versions/registry.ts`,
  )

const SERVED = new Set<string>(VERSIONS)

/** Whether `a` is older than `b`: versions sort by their date. */
export function olderThan(a: string, b: string): boolean {
  return a.slice(0, 10) < b.slice(0, 10)
}

export function isServed(version: string): version is ApiVersion {
  return SERVED.has(version)
}

/**
 * The version a request runs at: its `Stripe-Version` header, else the account's default (SB-V1).
 * Stripe refuses a version it does not know with a 400 (SB-V3); a real version older than the
 * oldest modelled is refused naming the versions served; a preview version is not modelled.
 */
export function resolveVersion(header: string | undefined, accountDefault: ApiVersion): ApiVersion {
  if (header === undefined) return accountDefault
  const version = header.trim()
  if (isServed(version)) return version
  if (/^\d{4}-\d{2}-\d{2}\.[a-z]+\.preview$/.test(version) || version.includes(';'))
    throw notModelled(`preview API versions (${version})`)
  if (/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(version) && olderThan(version, OLDEST_VERSION))
    throw new ApiError(
      400,
      'invalid_request_error',
      `The stripe-seed emulator serves API versions ${OLDEST_VERSION} to ${LATEST_VERSION}, not ${version}: send a Stripe-Version in that range, or none for the account's default.`,
    )
  throw new ApiError(400, 'invalid_request_error', `Invalid Stripe API version: ${version}`)
}

/** The account default the emulator is started with: a served version (a usage error otherwise, said by the caller). */
export function accountVersion(value: string | undefined): ApiVersion {
  if (value === undefined) return LATEST_VERSION
  if (!isServed(value))
    throw new Error(
      `Not an API version the emulator serves: ${value} (it serves ${OLDEST_VERSION} to ${LATEST_VERSION}, e.g. 2024-06-20 or 2025-02-24.acacia)`,
    )
  return value
}
