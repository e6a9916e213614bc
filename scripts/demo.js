#!/usr/bin/env node
// The README's main job in one command. With no Stripe key it starts the built-in emulator in this
// process and runs the CLI against it; with STRIPE_SECRET_KEY or STRIPE_API_KEY (environment or ./.env) it runs
// against your Stripe test-mode account instead. Each step is the real CLI, run as a user would.
import {spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {parse} from 'dotenv'

import {startEmulator} from '../dist/emulator/server.js'

const cli = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const customers = process.env.DEMO_CUSTOMERS ?? '100'
// The same places the CLI looks (the Stripe CLI's profile only on its explicit flag, so not here).
const dotenv = existsSync('.env') ? parse(readFileSync('.env', 'utf8')) : {}
const keyName = ['STRIPE_SECRET_KEY', 'STRIPE_API_KEY'].find((name) => process.env[name] || dotenv[name])
const useStripe = Boolean(keyName && !process.env.STRIPE_API_BASE)

let emulator
const env = {...process.env}
if (useStripe) {
  console.error(`${keyName} found: running against your Stripe test-mode account.\n`)
} else {
  // Stripe's own test-mode limit (25 requests/s), which the emulator leaves off by default: the demo shows the CLI within it.
  emulator = await startEmulator({port: 0, rateLimit: 25})
  env.STRIPE_API_BASE = process.env.STRIPE_API_BASE ?? emulator.url
  env.STRIPE_SECRET_KEY = 'sk_test_stripe_seed_demo'
  console.error(`No Stripe key: running against the built-in emulator at ${env.STRIPE_API_BASE}\n`)
}

const steps = [
  ['prices', 'seed'],
  ['run', 'generate', '--customers', customers, '--seed', process.env.DEMO_SEED ?? '7'],
  ['snapshots', 'show'],
  ['run', 'verify'],
]
let status = 0
for (const args of steps) {
  console.error(`\n$ stripe-seed ${args.join(' ')}`)
  // The emulator lives in this process, so the CLI runs as a child with its own event loop.
  const result = await new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {env, stdio: 'inherit'})
    child.on('close', (code) => resolve(code ?? 1))
  })
  if (result !== 0) {
    status = result
    break
  }
}
await emulator?.close()
if (status === 0)
  console.error(
    `\nDone. The files your ETL reads are in ./config (stripe_prices.json, current_run.json, sub_snapshots.json, run_details.json).`,
  )
process.exit(status)
