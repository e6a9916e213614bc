import {describe, expect, it} from 'vitest'

import {resumeCommand} from '../../src/run/resume-command.js'

describe('the printed resume command', () => {
  const bin = 'stripe-seed'
  it('names what the run was given on the command line, and leaves what the environment gives to it', () => {
    expect(resumeCommand({bin, runId: 'r1', keySource: 'STRIPE_SECRET_KEY'}, {})).toBe(
      'stripe-seed run generate --resume r1',
    )
    expect(
      resumeCommand(
        {bin, runId: 'r1', outDir: 'my out', config: 'c.json', scenario: 'saas', apiBase: 'http://127.0.0.1:1'},
        {},
      ),
    ).toBe(
      "stripe-seed run generate --resume r1 --scenario saas --out-dir 'my out' --config c.json --api-base http://127.0.0.1:1",
    )
    expect(resumeCommand({bin, runId: 'r1', apiBase: 'http://x'}, {STRIPE_API_BASE: 'http://x'})).toBe(
      'stripe-seed run generate --resume r1',
    )
  })

  it('a key given by flag becomes a visible placeholder; a Stripe CLI profile is named', () => {
    expect(resumeCommand({bin, runId: 'r1', keySource: '--api-key'}, {})).toBe(
      "stripe-seed run generate --resume r1 --api-key '<your sk_test_… key>'",
    )
    expect(resumeCommand({bin, runId: 'r1', keySource: 'x', stripeCliProfile: 'work'}, {})).toBe(
      'stripe-seed run generate --resume r1 --stripe-cli-profile work',
    )
  })
})
