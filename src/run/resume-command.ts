import {KEY_PLACEHOLDER, type KeySource} from '../secrets.js'

/** What the command line said that a resumed run must say again. */
export interface ResumeInputs {
  bin: string
  runId?: string
  outDir?: string
  config?: string
  scenario?: string
  apiBase?: string
  /** Where the run's key came from: a key given by flag is shown as a placeholder, never itself. */
  keySource?: KeySource
  stripeCliProfile?: string
}

const DEFAULT_OUT_DIR = './config'

/**
 * The command that continues this run as printed: the same out-dir, config, scenario, API and
 * key source. Settings the environment or ./.env carry (STRIPE_API_BASE, STRIPE_SECRET_KEY) are
 * left to it, as they were for the run.
 */
export function resumeCommand(inputs: ResumeInputs, env: NodeJS.ProcessEnv = process.env): string {
  const parts = [inputs.bin, 'run', 'generate', '--resume', ...(inputs.runId ? [inputs.runId] : [])]
  // The scenario is part of the config the run must resume with.
  if (inputs.scenario) parts.push('--scenario', quote(inputs.scenario))
  if (inputs.outDir !== undefined && inputs.outDir !== DEFAULT_OUT_DIR) parts.push('--out-dir', quote(inputs.outDir))
  if (inputs.config) parts.push('--config', quote(inputs.config))
  // The same API the run used (the emulator, say), unless the environment already says it: else the
  // pasted command would go to api.stripe.com.
  if (inputs.apiBase && inputs.apiBase !== env.STRIPE_API_BASE) parts.push('--api-base', quote(inputs.apiBase))
  if (inputs.stripeCliProfile !== undefined) parts.push('--stripe-cli-profile', quote(inputs.stripeCliProfile))
  else if (inputs.keySource === '--api-key') parts.push('--api-key', quote(KEY_PLACEHOLDER))
  return parts.join(' ')
}

/** A shell word as typed: bare when safe, else single-quoted. */
export function quote(value: string): string {
  return /^[\w./:@-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`
}
