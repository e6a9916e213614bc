import {Command, Errors, Flags, type Interfaces} from '@oclif/core'
import {resolve} from 'node:path'

import {type LoadedConfig, loadConfig} from './config/load.js'
import {UserError} from './errors.js'
import {type KeySource, resolveApiKey} from './secrets.js'
import {describeStripeError} from './stripe/errors.js'
import {type GatewayOptions, StripeGateway} from './stripe/gateway.js'

/** How to reach Stripe: for the commands that call it. */
export const stripeFlags = {
  'api-key': Flags.string({
    description: 'Stripe test-mode secret or restricted key (else STRIPE_SECRET_KEY, else STRIPE_SECRET_KEY in ./.env). Live keys are refused.',
    helpValue: 'sk_test_…',
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
  config: Flags.string({description: 'Config file (default: found by cosmiconfig, e.g. .stripe-seedrc.json)', env: 'STRIPE_SEED_CONFIG', helpGroup: 'FILES'}),
}

/** Where the generated files live: for the commands that write or read them. */
export const outDirFlags = {
  'out-dir': Flags.string({description: 'Where generated files are written and read', default: './config', env: 'STRIPE_SEED_OUT_DIR', helpGroup: 'FILES'}),
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

  protected outDir(flags: {'out-dir': string}): string {
    return resolve(process.cwd(), flags['out-dir'])
  }

  protected async loadConfig(flags: {config?: string}): Promise<LoadedConfig> {
    return loadConfig({cwd: process.cwd(), explicitPath: flags.config})
  }

  /** Resolves the key (refusing live keys before any client exists) and opens the service layer. */
  protected connect(flags: {'api-key'?: string; 'api-base'?: string}, scheduler: GatewayOptions['scheduler'], sleep?: GatewayOptions['sleep']): {gateway: StripeGateway; keySource: KeySource} {
    const {key, source} = resolveApiKey(flags['api-key'], process.env, process.cwd())
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

  protected async finally(error: Error | undefined): Promise<void> {
    await this.gateway?.close()
    return super.finally(error)
  }

  protected async catch(error: Interfaces.CommandError): Promise<void> {
    const userError = error instanceof UserError ? error : this.gateway ? describeStripeError(error, this.gateway.context) : describeStripeError(error, {apiBase: 'the Stripe API', maskedKey: 'the key'})
    if (!userError) {
      // oclif's own usage errors (unknown flag, bad value, exclusive flags) carry their exit code (2) here.
      const exit = (error as Partial<Interfaces.OclifError>).oclif?.exit
      if (exit !== undefined) process.exitCode = exit
      return super.catch(error)
    }
    process.exitCode = userError.exitCode
    const cliError = new Errors.CLIError(userError.message.replaceAll('\n', ' '), {
      exit: userError.exitCode,
      ...(userError.suggestion ? {suggestions: [userError.suggestion]} : {}),
    }) as Interfaces.CommandError
    cliError.exitCode = userError.exitCode
    return super.catch(cliError)
  }

  /** One error shape under --json: the cause and the exit code, never oclif's parser state. */
  toErrorJson(error: unknown): unknown {
    if (!(error instanceof Error)) return super.toErrorJson(error)
    const {suggestions} = error as Partial<Errors.CLIError>
    const exit = Number(process.exitCode ?? 1)
    return {error: {name: error.name, message: error.message, exitCode: exit, oclif: {exit}, ...(suggestions ? {suggestions} : {})}}
  }
}
