import {cosmiconfig} from 'cosmiconfig'
import {resolve} from 'node:path'

import {UserError, errorMessage} from '../errors.js'
import {type Config, ConfigSchema, formatZodIssues} from './schema.js'

export const CONFIG_MODULE_NAME = 'stripe-seed'

export interface LoadedConfig {
  config: Config
  /** The file the config came from; undefined when only defaults apply. */
  filepath?: string
}

/** Finds (or reads the explicit) config file, validates it, and fills in the defaults. */
export async function loadConfig(options: {cwd: string; explicitPath?: string}): Promise<LoadedConfig> {
  const explorer = cosmiconfig(CONFIG_MODULE_NAME, {
    searchPlaces: [
      'package.json',
      `.${CONFIG_MODULE_NAME}rc`,
      `.${CONFIG_MODULE_NAME}rc.json`,
      `.${CONFIG_MODULE_NAME}rc.yaml`,
      `.${CONFIG_MODULE_NAME}rc.yml`,
      `${CONFIG_MODULE_NAME}.config.js`,
      `${CONFIG_MODULE_NAME}.config.mjs`,
      `${CONFIG_MODULE_NAME}.config.cjs`,
      `${CONFIG_MODULE_NAME}.config.json`,
    ],
  })
  let found: {config: unknown; filepath: string; isEmpty?: boolean} | null
  try {
    found = options.explicitPath ? await explorer.load(resolve(options.cwd, options.explicitPath)) : await explorer.search(options.cwd)
  } catch (error) {
    const where = options.explicitPath ? resolve(options.cwd, options.explicitPath) : options.cwd
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UserError(`Config file not found: ${where}`)
    throw new UserError(`Cannot read config ${where}: ${firstLine(errorMessage(error))}`)
  }
  if (!found || found.isEmpty) return {config: ConfigSchema.parse({}), filepath: found?.filepath}
  const parsed = ConfigSchema.safeParse(found.config)
  if (!parsed.success) throw new UserError(`Invalid config in ${found.filepath}: ${formatZodIssues(parsed.error)}`)
  return {config: parsed.data, filepath: found.filepath}
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text
}
