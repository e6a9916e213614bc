import type {Config} from '../config/schema.js'
import {SIGNAL_EXIT_CODES, UserError} from '../errors.js'
import {plural} from '../render/plural.js'
import {quote} from '../run/resume-command.js'
import {KEY_PLACEHOLDER, type KeySource} from '../secrets.js'
import type {StripeGateway} from '../stripe/gateway.js'
import {type SeedPricesOptions, type SeedPricesResult, type SeedStep, seedPrices} from './seed.js'
import {watchStopSignals} from '../stop-signals.js'

type Kind = Exclude<SeedStep['kind'], 'plan'>
const KINDS: Kind[] = ['price', 'coupon', 'promotion code']

/**
 * Counts what a seed has in place (found or created) against what it needs, from its steps: the
 * progress lines, and how far a seed stopped by Ctrl-C got.
 */
export class SeedProgress {
  private total?: Record<Kind, number>
  private readonly done: Record<Kind, number> = {price: 0, coupon: 0, 'promotion code': 0}

  /** Records the step; returns the line to show for it, if any (only what was created: found ones are quick and many). */
  record(step: SeedStep): string | undefined {
    if (step.kind === 'plan') {
      this.total = {price: step.prices, coupon: step.coupons, 'promotion code': step.promotionCodes}
      return undefined
    }
    this.done[step.kind]++
    const {outcome} = step.seeded
    if (outcome === 'existing') return undefined
    const name =
      step.kind === 'price' ? step.seeded.lookupKey : step.kind === 'coupon' ? step.seeded.id : step.seeded.code
    return `${step.kind} ${this.done[step.kind]} of ${this.total?.[step.kind] ?? '?'}: ${name} ${outcome}`
  }

  /** `Interrupted after 8 of 27 prices; run `…` again to finish: it reuses what exists`. */
  interrupted(rerun: string): string {
    const {total} = this
    if (!total) return `Interrupted before any price was created; run \`${rerun}\` to seed`
    const parts = KINDS.filter((kind) => total[kind] > 0).map(
      (kind) => `${this.done[kind]} of ${plural(total[kind], kind)}`,
    )
    const counts = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0]
    return `Interrupted after ${counts}; run \`${rerun}\` again to finish: it reuses what exists`
  }
}

/** What the command line said that a re-run must say again. */
export interface RerunInputs {
  bin: string
  scenario?: string
  outDir: string
  config?: string
  apiBase?: string
  keySource?: KeySource
  stripeCliProfile?: string
}

/**
 * `prices seed` as typed again: the same scenario, out-dir, config, API and key source (a key given
 * by flag as a placeholder, never itself). What the environment carries is left to it.
 */
export function pricesSeedCommand(inputs: RerunInputs, env: NodeJS.ProcessEnv = process.env): string {
  const parts = [inputs.bin, 'prices', 'seed']
  if (inputs.scenario) parts.push('--scenario', quote(inputs.scenario))
  if (inputs.outDir !== './config' && inputs.outDir !== env.STRIPE_SEED_OUT_DIR)
    parts.push('--out-dir', quote(inputs.outDir))
  if (inputs.config && inputs.config !== env.STRIPE_SEED_CONFIG) parts.push('--config', quote(inputs.config))
  if (inputs.apiBase && inputs.apiBase !== env.STRIPE_API_BASE) parts.push('--api-base', quote(inputs.apiBase))
  if (inputs.stripeCliProfile !== undefined) parts.push('--stripe-cli-profile', quote(inputs.stripeCliProfile))
  else if (inputs.keySource === '--api-key') parts.push('--api-key', quote(KEY_PLACEHOLDER))
  return parts.join(' ')
}

export interface StoppableSeedOptions extends Omit<SeedPricesOptions, 'onStep'> {
  /** The command that finishes the seed, for the line an interrupted seed ends with. */
  rerun: string
  /** A progress line, on stderr. */
  notice: (line: string) => void
  /** Called just before a second Ctrl-C exits at once (release the out-dir's lock). */
  beforeExit: () => void
}

/**
 * `seedPrices` with a progress line per item created, stopped cleanly by Ctrl-C or SIGTERM: no new
 * request, those in flight finish, then one line says how far it got and how to finish, exit
 * 130/143. Lookup keys and product ids are stable, so the re-run finds what this one made.
 */
export async function seedPricesUntilStopped(
  gateway: StripeGateway,
  config: Config,
  options: StoppableSeedOptions,
): Promise<SeedPricesResult> {
  const {rerun, notice, beforeExit, ...seedOptions} = options
  const progress = new SeedProgress()
  const signals = watchStopSignals({
    stop: (signal) => {
      notice(`\n${signal}: no new requests; finishing those in flight (Ctrl-C again to stop at once)`)
      gateway.scheduler.stopNewWork()
    },
    now: (signal) => {
      notice(progress.interrupted(rerun))
      beforeExit()
      process.exit(SIGNAL_EXIT_CODES[signal])
    },
  })
  try {
    return await seedPrices(gateway, config, {
      ...seedOptions,
      onStep: (step) => {
        const line = progress.record(step)
        if (line) notice(line)
      },
    })
  } catch (error) {
    const signal = signals.received()
    if (!signal) throw error
    // seedPrices fails only once every request has settled: the counts are final.
    throw new UserError(progress.interrupted(rerun), {exitCode: SIGNAL_EXIT_CODES[signal]})
  } finally {
    signals.dispose()
  }
}
