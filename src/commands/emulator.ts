import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {UsageError, UserError} from '../errors.js'
import {formatDelivery} from '../emulator/events/delivery.js'
import {forwardTargets, resolveForwardingSecret} from '../emulator/events/forwarding.js'
import {DataError} from '../emulator/persistence.js'
import {type FaultKind, type Range, startEmulator} from '../emulator/server.js'
import {OLDEST_VERSION, VERSIONS, isServed} from '../emulator/versions/index.js'

/** Where events are forwarded and the secret they are signed with (SB-E9). */
export interface Forwarding {
  forwardTo: string[]
  events: string[] | null
  webhookSecret: string
}

/** What `--json` prints, one line each: when it listens (a script's readiness signal) and when it stops. */
export type EmulatorStatus =
  | ({status: 'listening'; url: string; port: number} & Partial<Forwarding>)
  | {status: 'stopped'; url: string; port: number; requests: number}

function parseRange(value: string, flag: string): Range {
  const match = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(value.trim())
  if (!match) throw new UsageError(`--${flag} takes milliseconds, e.g. 50 or 20-80, got "${value}"`)
  const low = Number(match[1])
  const high = match[2] === undefined ? low : Number(match[2])
  if (high < low) throw new UsageError(`--${flag}: the range ${value} runs backwards`)
  return [low, high]
}

export default class Emulator extends BaseCommand<EmulatorStatus> {
  static summary = 'A local Stripe test-mode emulator: clocks, subscriptions, renewals, events'

  static description = `Any Stripe SDK or tool pointed at the printed URL works unchanged (a test key like sk_test_anything is accepted).

State is in memory and gone when it stops (Ctrl-C), unless --data PATH keeps it in an SQLite file across restarts: every answered request is written there first, so even a kill -9 loses nothing answered. POST /_emulator/reset (any test key) empties the account, e.g. between test files. Behaviour it does not model is refused with a 501 naming it, never guessed.

For scripts: with --json it prints one JSON line as soon as it listens ({"status":"listening","url":…,"port":…}), and another when it stops; --port 0 picks a free port, which that line names. GET /healthz answers 200 once it is up.`

  static examples = [
    '<%= config.bin %> emulator',
    '<%= config.bin %> emulator --port 0 --latency 40-120 --fault-rate 0.01',
    '<%= config.bin %> emulator --rate-limit 25',
    '<%= config.bin %> emulator --data .stripe-emulator.sqlite',
    '<%= config.bin %> emulator --port 0 --json | head -1',
    '<%= config.bin %> emulator --forward-to http://localhost:3000/hook',
  ]

  static flags = {
    port: Flags.integer({description: 'Port to listen on (0 picks a free one)', default: 12_111, min: 0, max: 65_535}),
    host: Flags.string({description: 'Interface to listen on (loopback by default)', default: '127.0.0.1'}),
    seed: Flags.integer({description: 'Seed for ids, latencies, advance durations and faults', default: 1}),
    latency: Flags.string({description: 'Latency added to every response, ms (fixed or min-max)', default: '0'}),
    'advance-ms': Flags.string({
      description: 'How long a test clock advance takes, ms (fixed or min-max)',
      default: '500-1500',
    }),
    'advance-contention-ms': Flags.integer({
      description: 'Extra ms per other clock advancing at the same time',
      default: 20,
      min: 0,
    }),
    'rate-limit': Flags.integer({
      description:
        "Requests per second before 429s, as a token bucket; off by default (0), --rate-limit 25 for Stripe test mode's limit",
      default: 0,
      min: 0,
    }),
    data: Flags.string({
      description: 'Keep the whole state in this SQLite file across restarts (created if absent)',
    }),
    'fault-rate': Flags.string({description: 'Share of requests that meet a fault (0-1)', default: '0'}),
    'fault-kinds': Flags.string({
      description: 'Faults --fault-rate injects (response_lost: processed, then the answer dropped)',
      multiple: true,
      options: ['server_error', 'connection_dropped', 'response_lost'],
      delimiter: ',',
    }),
    'fail-clocks': Flags.string({
      description: 'Regex: clocks whose name matches end their next advance in internal_failure',
    }),
    'forward-to': Flags.string({
      description: 'POST every event to this URL, signed, as stripe listen --forward-to does (repeatable)',
      multiple: true,
      helpGroup: 'WEBHOOKS',
    }),
    events: Flags.string({
      description: 'Comma-separated event types --forward-to sends (default: all)',
      helpGroup: 'WEBHOOKS',
    }),
    'api-version': Flags.string({
      description: `The account's default API version, for requests without Stripe-Version and for events (${OLDEST_VERSION} or later; default the newest)`,
      env: 'STRIPE_SEED_API_VERSION',
    }),
    'default-currency': Flags.string({
      description:
        "The account's default currency: invoices and invoice items of customers without a currency are in it",
      default: 'usd',
      env: 'STRIPE_SEED_DEFAULT_CURRENCY',
    }),
    'webhook-secret': Flags.string({
      description:
        'whsec_ secret --forward-to signs events with (default: one saved in the config directory, the same on every start)',
      env: 'STRIPE_SEED_WEBHOOK_SECRET',
      helpGroup: 'WEBHOOKS',
    }),
    'log-webhooks': Flags.boolean({
      description: 'Print a line per webhook delivery attempt: type, status, latency',
      helpGroup: 'WEBHOOKS',
    }),
  }

  async run(): Promise<EmulatorStatus> {
    const {flags} = await this.parse(Emulator)
    const faultRate = Number(flags['fault-rate'])
    if (!(faultRate >= 0 && faultRate <= 1))
      throw new UsageError(`--fault-rate must be between 0 and 1, got "${flags['fault-rate']}"`)
    let failClocksNamed: RegExp | undefined
    try {
      failClocksNamed = flags['fail-clocks'] ? new RegExp(flags['fail-clocks']) : undefined
    } catch {
      throw new UsageError(`--fail-clocks is not a valid regular expression: ${flags['fail-clocks']}`)
    }
    const apiVersion = flags['api-version']
    if (apiVersion !== undefined && !isServed(apiVersion))
      throw new UsageError(`--api-version: not an API version the emulator serves: "${apiVersion}"`, {
        suggestion: `one of ${VERSIONS.join(', ')}`,
      })
    const defaultCurrency = flags['default-currency'].toLowerCase()
    if (!/^[a-z]{3}$/.test(defaultCurrency))
      throw new UsageError(
        `--default-currency takes a three-letter ISO currency code, e.g. usd, got "${flags['default-currency']}"`,
      )
    // Not oclif's dependsOn: it refuses the env fallback too, and a STRIPE_SEED_WEBHOOK_SECRET kept for an app's handler must not stop a plain start.
    if (
      !flags['forward-to'] &&
      this.argv.some((arg) => arg === '--webhook-secret' || arg.startsWith('--webhook-secret='))
    )
      throw new UsageError('--webhook-secret needs --forward-to: it signs the events forwarded there, and nothing else')
    const forwardTo = forwardTargets(flags['forward-to'] ?? [], flags.events)
    const secret =
      forwardTo.length > 0 ? await resolveForwardingSecret(flags['webhook-secret'], this.config.configDir) : undefined
    if (secret?.warning) this.warn(secret.warning)
    const emulator = await startEmulator({
      port: flags.port,
      host: flags.host,
      seed: flags.seed,
      latencyMs: parseRange(flags.latency, 'latency'),
      advanceMs: parseRange(flags['advance-ms'], 'advance-ms'),
      advancePerConcurrentMs: flags['advance-contention-ms'],
      rateLimit: flags['rate-limit'],
      faultRate,
      faultKinds: flags['fault-kinds'] as FaultKind[] | undefined,
      failClocksNamed,
      ...(apiVersion ? {apiVersion} : {}),
      defaultCurrency,
      // A server that may run for days keeps a count, not a log of every request.
      log: false,
      forwardTo,
      ...(secret ? {webhookSecret: secret.secret} : {}),
      ...(flags['log-webhooks'] ? {onWebhookDelivery: (entry) => this.notice(formatDelivery(entry))} : {}),
      ...(flags.data === undefined ? {} : {dataPath: flags.data}),
    }).catch((error: unknown) => {
      if (error instanceof DataError) throw new UserError(`--data: ${error.message}`)
      throw listenError(error, flags.host, flags.port)
    })
    const stopped = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    const forwarding: Forwarding | undefined = secret && {
      forwardTo: forwardTo.map((target) => target.url),
      events: forwardTo[0]?.events ?? null,
      webhookSecret: secret.secret,
    }
    this.logJson({status: 'listening', url: emulator.url, port: emulator.port, ...forwarding})
    this.say(`Stripe test-mode emulator listening on ${emulator.url}`)
    if (flags.data !== undefined) this.say(`  state kept in ${flags.data} (POST /_emulator/reset empties it)`)
    if (forwarding) {
      this.say(`  forwarding ${forwarding.events?.join(', ') ?? 'every event'} to ${forwarding.forwardTo.join(', ')}`)
      this.say(
        `  webhook signing secret: ${forwarding.webhookSecret}${secret?.file && secret.source !== 'unsaved' ? ` (kept in ${secret.file})` : ''}`,
      )
    }
    this.say(`  try: stripe-seed prices seed --api-base ${emulator.url} --api-key sk_test_anything`)
    this.say('  Ctrl-C to stop')
    await stopped
    await emulator.close()
    this.say(`Stopped after ${emulator.requestCount()} requests`)
    return {status: 'stopped', url: emulator.url, port: emulator.port, requests: emulator.requestCount()}
  }

  /** JSON Lines: each document on one line, so a script can read the first line and go. */
  logJson(json: unknown): void {
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(json)}\n`)
  }
}

function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE') return new UserError(`Port ${port} on ${host} is in use: pass --port 0 to pick a free one`)
  if (code === 'EACCES')
    return new UserError(`Not allowed to listen on port ${port} on ${host}: pass --port 0 to pick a free one`)
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return new UserError(`Cannot listen on ${host}: not an address of this machine (--host)`)
  return error
}
