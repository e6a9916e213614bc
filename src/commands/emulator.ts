import {Command, Flags} from '@oclif/core'

import {UsageError} from '../errors.js'
import {type FaultKind, type Range, startEmulator} from '../emulator/server.js'

export interface EmulatorResult {
  url: string
  requests: number
}

function parseRange(value: string, flag: string): Range {
  const match = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(value.trim())
  if (!match) throw new UsageError(`--${flag} takes milliseconds, e.g. 50 or 20-80, got "${value}"`)
  const low = Number(match[1])
  const high = match[2] === undefined ? low : Number(match[2])
  if (high < low) throw new UsageError(`--${flag}: the range ${value} runs backwards`)
  return [low, high]
}

export default class Emulator extends Command {
  static summary = 'Run a local Stripe test-mode emulator: test clocks, subscriptions, invoices and renewals, offline'

  static description = `Any Stripe SDK or tool pointed at the printed URL works unchanged (a test key like sk_test_anything is accepted).
State is in memory and gone when it stops (Ctrl-C). Behaviour it does not model is refused with a 501 naming it, never guessed.`

  static examples = [
    '<%= config.bin %> emulator',
    '<%= config.bin %> prices seed --api-base http://127.0.0.1:12111 --api-key sk_test_anything',
    '<%= config.bin %> emulator --port 0 --latency 40-120 --advance-ms 2000-8000 --fault-rate 0.01',
  ]

  static enableJsonFlag = true

  static flags = {
    port: Flags.integer({description: 'Port to listen on (0 picks a free one)', default: 12_111, min: 0, max: 65_535}),
    host: Flags.string({description: 'Interface to listen on (loopback by default)', default: '127.0.0.1'}),
    seed: Flags.integer({description: 'Seed for ids, latencies, advance durations and faults', default: 1}),
    latency: Flags.string({description: 'Latency added to every response, ms (fixed or min-max)', default: '0'}),
    'advance-ms': Flags.string({description: 'How long a test clock advance takes, ms (fixed or min-max)', default: '500-1500'}),
    'advance-contention-ms': Flags.integer({description: 'Extra ms per other clock advancing at the same time', default: 20, min: 0}),
    'rate-limit': Flags.integer({description: 'Requests per second before 429s (Stripe test mode: 25); 0 = off', default: 25, min: 0}),
    'fault-rate': Flags.string({description: 'Share of requests that meet a fault (0-1)', default: '0'}),
    'fault-kinds': Flags.string({description: 'Faults --fault-rate injects (response_lost: processed, then the answer dropped)', multiple: true, options: ['server_error', 'connection_dropped', 'response_lost'], delimiter: ','}),
    'fail-clocks': Flags.string({description: 'Regex: clocks whose name matches end their next advance in internal_failure'}),
  }

  async run(): Promise<EmulatorResult> {
    const {flags} = await this.parse(Emulator)
    const faultRate = Number(flags['fault-rate'])
    if (!(faultRate >= 0 && faultRate <= 1)) throw new UsageError(`--fault-rate must be between 0 and 1, got "${flags['fault-rate']}"`)
    let failClocksNamed: RegExp | undefined
    try {
      failClocksNamed = flags['fail-clocks'] ? new RegExp(flags['fail-clocks']) : undefined
    } catch {
      throw new UsageError(`--fail-clocks is not a valid regular expression: ${flags['fail-clocks']}`)
    }
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
      // A server that may run for days keeps a count, not a log of every request.
      log: false,
    })
    const say = (line: string) => (this.jsonEnabled() ? this.logToStderr(line) : this.log(line))
    say(`Stripe test-mode emulator listening on ${emulator.url}`)
    say(`  try: stripe-seed prices seed --api-base ${emulator.url} --api-key sk_test_anything`)
    say('  Ctrl-C to stop')
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    await emulator.close()
    say(`Stopped after ${emulator.requestCount()} requests`)
    return {url: emulator.url, requests: emulator.requestCount()}
  }
}
