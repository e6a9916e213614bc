import {Command, Errors, Flags, Help, type Interfaces} from '@oclif/core'
import {resolve} from 'node:path'

import {type LoadedConfig, loadConfig} from './config/load.js'
import {closestName} from './did-you-mean.js'
import {UsageError, UserError} from './errors.js'
import {type KeySource, maskKeys, resolveApiKey} from './secrets.js'
import {describeStripeError} from './stripe/errors.js'
import {type GatewayOptions, StripeGateway} from './stripe/gateway.js'

const DEFAULT_STRIPE_CLI_PROFILE = 'default'

/** How to reach Stripe: for the commands that call it. */
export const stripeFlags = {
  'api-key': Flags.string({
    description:
      'Stripe test-mode secret or restricted key (else STRIPE_SECRET_KEY, STRIPE_API_KEY, then the same two in ./.env). Live keys are refused.',
    helpValue: 'sk_test_…',
    helpGroup: 'STRIPE',
    // Declared on this side so oclif's message names the profile, never the key.
    exclusive: ['stripe-cli-profile'],
  }),
  'stripe-cli-profile': Flags.string({
    description: `Use the test-mode key the Stripe CLI saved on \`stripe login\` for this profile (alone: "${DEFAULT_STRIPE_CLI_PROFILE}"), from $XDG_CONFIG_HOME/stripe/config.toml or ~/.config/stripe/config.toml`,
    helpValue: '[NAME]',
    helpGroup: 'STRIPE',
  }),
  'api-base': Flags.string({
    description: 'Another Stripe-compatible API, e.g. the emulator at http://127.0.0.1:12111',
    env: 'STRIPE_API_BASE',
    helpGroup: 'STRIPE',
  }),
}

/** The config file: for the commands that read plans, events or scheduler settings. */
export const configFlags = {
  config: Flags.string({
    description: 'Config file (default: found by cosmiconfig, e.g. .stripe-seedrc.json)',
    env: 'STRIPE_SEED_CONFIG',
    helpGroup: 'FILES',
  }),
}

/** Where the generated files live: for the commands that write or read them. */
export const outDirFlags = {
  'out-dir': Flags.string({
    description: 'Where generated files are written and read',
    default: './config',
    env: 'STRIPE_SEED_OUT_DIR',
    helpGroup: 'FILES',
  }),
}

/** How to read the user's own MRR numbers: `snapshots compare` and `snapshots report --compare`. */
export const compareFlags = {
  columns: Flags.string({
    description:
      'Your column names, as field=column pairs: month, customer_id, subscription_id, mrr, currency (e.g. month=period,mrr=amount)',
  }),
  unit: Flags.string({
    description: 'The unit of your mrr column: major units (12.50) or the minor unit (1250 cents)',
    options: ['units', 'cents'],
    default: 'units',
  }),
  tolerance: Flags.integer({
    description: 'A difference up to this many cents (minor units) per row still matches',
    default: 0,
    min: 0,
  }),
}

/**
 * Config loading, the Stripe connection and error mapping; each command declares only the flag
 * groups it uses. Commands stay thin: parse, build what the service needs, call it, return its
 * result (the --json contract).
 */
export abstract class BaseCommand<T> extends Command {
  static enableJsonFlag = true

  private gateway?: StripeGateway

  abstract run(): Promise<T>

  async init(): Promise<void> {
    // oclif flags have no optional values: a bare --stripe-cli-profile means the Stripe CLI's default profile.
    if ('stripe-cli-profile' in (this.ctor.flags ?? {}))
      this.argv = withOptionalValue(this.argv, '--stripe-cli-profile', DEFAULT_STRIPE_CLI_PROFILE)
    await super.init()
  }

  protected outDir(flags: {'out-dir': string}): string {
    return resolve(process.cwd(), flags['out-dir'])
  }

  protected async loadConfig(flags: {config?: string}): Promise<LoadedConfig> {
    return loadConfig({cwd: process.cwd(), explicitPath: flags.config})
  }

  /** Resolves the key (refusing live keys before any client exists) and opens the service layer. */
  protected connect(
    flags: {'api-key'?: string; 'api-base'?: string; 'stripe-cli-profile'?: string},
    scheduler: GatewayOptions['scheduler'],
    sleep?: GatewayOptions['sleep'],
  ): {gateway: StripeGateway; keySource: KeySource} {
    const {key, source} = resolveApiKey(
      {apiKey: flags['api-key'], stripeCliProfile: flags['stripe-cli-profile']},
      process.env,
      process.cwd(),
    )
    this.gateway = new StripeGateway({apiKey: key, apiBase: flags['api-base'], scheduler, sleep})
    return {gateway: this.gateway, keySource: source}
  }

  /**
   * oclif colorizes JSON by tokenizing the whole document, which for a 10,000-customer plan costs
   * hundreds of megabytes; colors only help a person at a terminal reading a small document.
   */
  logJson(json: unknown): void {
    const text = JSON.stringify(json, null, 2)
    if (process.stdout.isTTY && text.length < 1_000_000) return super.logJson(json)
    process.stdout.write(`${text}\n`)
  }

  /** Human output only; with --json stdout carries the result alone. */
  protected say(message = ''): void {
    if (!this.jsonEnabled()) this.log(message)
  }

  /** A progress or notice line: always on stderr, with or without --json (oclif's logToStderr is silent under --json). */
  protected notice(message: string): void {
    process.stderr.write(`${message}\n`)
  }

  protected async finally(error: Error | undefined): Promise<void> {
    await this.gateway?.close()
    await super.finally(error)
  }

  protected async catch(error: Interfaces.CommandError): Promise<void> {
    // Every command parses first, so an error here came from parse or after it. A flag's own
    // validation (Flags.integer max) throws a plain Error without `parse`: without this oclif adds
    // "did not parse its arguments" (NODE_ENV=development, tests) to a clean usage error.
    this.parsed = true
    const userError =
      error instanceof UserError
        ? error
        : this.gateway
          ? describeStripeError(error, this.gateway.context)
          : describeStripeError(error, {apiBase: 'the Stripe API', maskedKey: 'the key'})
    if (!userError) {
      // oclif's own usage errors (unknown flag, bad value, exclusive flags) carry their exit code (2) here.
      const exit = (error as Partial<Interfaces.OclifError>).oclif?.exit
      if (exit !== undefined) process.exitCode = exit
      // oclif echoes what it could not parse (`Unexpected argument: sk_test_…` when a key lands where no argument goes).
      error.message = maskKeys(error.message)
      const parseError = describeParseError(error, Object.keys(this.ctor.flags ?? {}))
      if (parseError) return this.usageFailure(parseError, error)
      await super.catch(error)
      return
    }
    process.exitCode = userError.exitCode
    await super.catch(toCliError(userError, this.jsonEnabled()))
  }

  /**
   * An invocation oclif could not parse: one line saying why (with the closest flag name), then the
   * command's usage line, on stderr; under --json the same cause as a UsageError. Exit 2 either way.
   */
  private async usageFailure(usage: UsageError, error: Interfaces.CommandError): Promise<void> {
    process.exitCode = usage.exitCode
    if (this.jsonEnabled()) {
      await super.catch(toCliError(usage, true))
      return
    }
    const line = usage.suggestion ? `${usage.message}. ${usage.suggestion}` : usage.message
    process.stderr.write(` ›   Error: ${line}\n`)
    const command = (error as {showHelp?: boolean}).showHelp ? this.config.findCommand(this.id ?? '') : undefined
    if (command) {
      const helpOptions = this.config.pjson.oclif.helpOptions ?? {}
      await new Help(this.config, {...helpOptions, sections: ['usage'], sendToStderr: true}).showCommandHelp(command)
    }
    // Printed above; oclif's handler only sets the exit code for an ExitError.
    throw new Errors.ExitError(usage.exitCode)
  }

  /** One error shape under --json: the cause, the exit code and what to try, never oclif's own state. */
  toErrorJson(error: unknown): unknown {
    if (!(error instanceof Error)) return super.toErrorJson(error)
    const {suggestions} = error as Partial<Errors.CLIError>
    return {
      error: {
        name: error.name,
        message: error.message,
        exitCode: Number(process.exitCode ?? 1),
        ...(suggestions && suggestions.length > 0 ? {suggestions} : {}),
      },
    }
  }
}

/** A UserError as oclif prints it: one line, its suggestion as "Try this:", its exit code. */
function toCliError(userError: UserError, json: boolean): Interfaces.CommandError {
  const cliError = new Errors.CLIError(userError.message.replaceAll('\n', ' '), {
    exit: userError.exitCode,
    ...(userError.suggestion ? {suggestions: [userError.suggestion]} : {}),
  }) as Interfaces.CommandError
  // The JSON names the kind (UsageError, UserError); a terminal shows oclif's "Error:".
  if (json) cliError.name = userError.name
  cliError.exitCode = userError.exitCode
  return cliError
}

/**
 * oclif's parser errors (unknown flag, unexpected argument, bad value, exclusive flags) as one-line
 * usage errors: without oclif's "See more help with --help" line, and a mistyped flag with the
 * closest real one. Undefined for any other error.
 */
export function describeParseError(error: Error, knownFlags: readonly string[]): UsageError | undefined {
  if (!('parse' in error) || !/\nSee more help with --help$/.test(error.message)) return undefined
  const cause = error.message
    .replace(/\nSee more help with --help$/, '')
    .replace(/^The following errors? occurred:\s*/, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join('; ')
  const unknown = (error as {flags?: unknown}).flags
  if (!Array.isArray(unknown)) return new UsageError(cause)
  // Without `=value`: the value may be a key (`--apikey=sk_test_…`), and the name is what is wrong.
  const names = unknown.map((flag) => String(flag).split('=')[0]!)
  const suggestions = names.flatMap((flag) => {
    const known = flag.startsWith('--') ? closestName(flag.slice(2), knownFlags) : undefined
    return known ? [`--${known}`] : []
  })
  return new UsageError(`Nonexistent flag${names.length === 1 ? '' : 's'} ${names.join(', ')}`, {
    ...(suggestions.length > 0 ? {suggestion: `Did you mean ${suggestions.join(', ')}?`} : {}),
  })
}

/** `--flag` last or followed by another flag gets `value`; `--flag NAME` and `--flag=NAME` are left alone. */
export function withOptionalValue(argv: string[], flag: string, value: string): string[] {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length
  return argv.flatMap((arg, index) =>
    arg === flag && index < end && (index + 1 >= end || argv[index + 1]!.startsWith('-')) ? [arg, value] : [arg],
  )
}
