#!/usr/bin/env node
// The fault figures of issue 9: `run generate --seed-prices --customers 30` as a user runs it (the
// built CLI as a process), against emulators injecting 10% faults (500s and dropped connections,
// plus lost responses where the emulator has them) with the 25 req/s limit on, one per fault seed.
// Prints, per seed: exit code, status, requests, retries, and what the account holds (customers,
// subscriptions, clocks, duplicates by planned customer), and whether the rows equal a clean run's.
// Usage: npm run build && node scripts/fault-figures.js [seeds=10] [customers=30] [faultRate=0.1]
import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {startEmulator} from '../dist/emulator/server.js'

const cli = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const [seeds = 10, customers = 30, faultRate = 0.1] = process.argv.slice(2).map(Number)
const ADVANCE = {advanceMs: [50, 150], latencyMs: 0}

function run(args, env, cwd) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: {PATH: process.env.PATH, HOME: cwd, CI: '1', ...env},
    })
    let stdout = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.resume()
    child.on('close', (code) => resolve({code, stdout}))
  })
}

async function once(faultSeed, rate) {
  const emulator = await startEmulator({port: 0, seed: faultSeed, faultRate: rate, rateLimit: 25, ...ADVANCE})
  const cwd = await mkdtemp(join(tmpdir(), 'stripe-seed-faults-'))
  try {
    const env = {STRIPE_API_BASE: emulator.url, STRIPE_SECRET_KEY: 'sk_test_faults'}
    const result = await run(
      ['run', 'generate', '--seed-prices', '--customers', String(customers), '--seed', '7', '--json'],
      env,
      cwd,
    )
    const json = JSON.parse(result.stdout || '{}')
    const rows = await readFile(join(cwd, 'config', 'sub_snapshots.json'), 'utf8').then(JSON.parse, () => [])
    const planned = new Map()
    for (const customer of emulator.engine.customers.values()) {
      const index = customer.metadata?.stripe_seed_customer
      planned.set(index, (planned.get(index) ?? 0) + 1)
    }
    return {
      faultSeed,
      exit: result.code,
      status: json.status,
      requests: json.requests?.total,
      retries: json.requests?.retries,
      customers: emulator.engine.customers.size,
      subscriptions: emulator.engine.subscriptions.size,
      clocks: emulator.engine.clocks.size,
      duplicates: [...planned.values()].filter((n) => n > 1).length,
      // What the emulator injected, from its own log: 500s, and connections dropped before or after processing.
      faults: emulator.requestLog.filter(
        (entry) => entry.status === 0 || (entry.status === 500 && entry.path !== '/healthz'),
      ).length,
      rows: rows
        .map(({month, plan, price_amount, screens, mrr_cents, status}) =>
          [month, plan, price_amount, screens, mrr_cents, status].join('/'),
        )
        .join('\n'),
    }
  } finally {
    await emulator.close()
    await rm(cwd, {recursive: true, force: true})
  }
}

const clean = await once(0, 0)
const results = await Promise.all(Array.from({length: seeds}, (_, i) => once(i + 1, faultRate)))
console.log(`clean run: exit ${clean.exit}, ${clean.status}, ${clean.requests} requests`)
console.log('seed  exit  status     requests  faults  retries  customers  subs  clocks  duplicates  rows = clean')
for (const r of results) {
  console.log(
    `${String(r.faultSeed).padStart(4)}  ${String(r.exit).padStart(4)}  ${String(r.status).padEnd(9)}  ${String(r.requests).padStart(8)}  ${String(r.faults).padStart(6)}  ${String(r.retries).padStart(7)}  ${String(r.customers).padStart(9)}  ${String(r.subscriptions).padStart(4)}  ${String(r.clocks).padStart(6)}  ${String(r.duplicates).padStart(10)}  ${r.rows === clean.rows ? 'yes' : 'NO'}`,
  )
}
const complete = results.filter((r) => r.status === 'complete' && r.rows === clean.rows).length
console.log(
  `\n${complete}/${results.length} complete with the clean rows; ${results.reduce((s, r) => s + r.faults, 0)} faults injected, ${results.reduce((s, r) => s + r.retries, 0)} retries; ${results.reduce((s, r) => s + r.duplicates, 0)} duplicate customers`,
)
