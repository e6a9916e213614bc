import {cosmiconfig} from 'cosmiconfig'
import {readFile} from 'node:fs/promises'
import {extname, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {TomlError, parse as parseToml} from 'smol-toml'

import {UsageError, errorMessage} from '../errors.js'
import {type Config, ConfigSchema, formatZodIssues, keySuggestion, unrecognizedKeys} from './schema.js'

export const CONFIG_MODULE_NAME = 'stripe-seed'

const SUPPORTED_FORMATS =
  'JSON, YAML, TOML or JavaScript: .json, .yaml, .yml, .toml, .js, .mjs, .cjs, or no extension for JSON or YAML'

export interface LoadedConfig {
  config: Config
  /** The file the config came from; undefined when only defaults apply. */
  filepath?: string
  /** The top-level keys the file sets itself (the rest are defaults): a resumed run holds these to what it started with. */
  setInFile: ReadonlySet<string>
}

/** Finds (or reads the explicit) config file, validates it, and fills in the defaults. */
export async function loadConfig(options: {cwd: string; explicitPath?: string}): Promise<LoadedConfig> {
  let found: {config: unknown; filepath: string; isEmpty?: boolean} | null
  try {
    // Inside the try: cosmiconfig reads ./package.json as soon as it is created.
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
        `.${CONFIG_MODULE_NAME}rc.toml`,
        `${CONFIG_MODULE_NAME}.config.toml`,
      ],
      loaders: {'.toml': (_filepath: string, content: string) => parseToml(content)},
      // An empty config file is a mistake to say, wherever it was found, not a file to skip.
      ignoreEmptySearchPlaces: false,
    })
    found = options.explicitPath
      ? await explorer.load(resolve(options.cwd, options.explicitPath))
      : await explorer.search(options.cwd)
  } catch (error) {
    const file =
      (error as {filepath?: string}).filepath ??
      (options.explicitPath ? resolve(options.cwd, options.explicitPath) : options.cwd)
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UsageError(`Config file not found: ${file}`)
    if (/^No loader specified for extension/.test(errorMessage(error)))
      throw new UsageError(
        `Cannot read config ${file}: ${extname(file)} is not a config format stripe-seed reads (${SUPPORTED_FORMATS})`,
      )
    throw new UsageError(
      `Cannot read config ${file}: ${(await syntaxError(error, file)) ?? firstLine(errorMessage(error))}`,
    )
  }
  if (found?.isEmpty)
    throw new UsageError(`Config file ${found.filepath} is empty`, {
      suggestion: 'Give it the settings to change ({} keeps every default), or remove it.',
    })
  if (!found) return {config: ConfigSchema.parse({}), setInFile: new Set()}
  const parsed = ConfigSchema.safeParse(found.config)
  if (!parsed.success) {
    const [issue, ...others] = parsed.error.issues
    if (issue?.code === 'unrecognized_keys' && others.length === 0) {
      // `Unrecognized key "custmers" in FILE; did you mean "customers"?`: the one mistake, and its fix.
      const where = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : ''
      const suggestion = keySuggestion(issue, ConfigSchema)
      throw new UsageError(
        `${unrecognizedKeys(issue)}${where} in ${found.filepath}${suggestion ? `; ${suggestion}` : ''}`,
      )
    }
    throw new UsageError(`Invalid config in ${found.filepath}: ${formatZodIssues(parsed.error, ConfigSchema)}`)
  }
  const setInFile = new Set(typeof found.config === 'object' && found.config !== null ? Object.keys(found.config) : [])
  return {config: parsed.data, filepath: found.filepath, setInFile}
}

/** `line 3, column 15: Expected double-quoted property name`, from what the JSON, YAML or JS parser knows. */
async function syntaxError(error: unknown, file: string): Promise<string | undefined> {
  // smol-toml: 1-based, and a code frame after the first line.
  if (error instanceof TomlError)
    return `line ${error.line}, column ${error.column}: ${firstLine(error.message).replace(/^Invalid TOML document: /, '')}`
  const {name, mark, reason} = error as {name?: string; mark?: {line: number; column: number}; reason?: string}
  // js-yaml: a 0-based mark and the reason alone.
  if (name === 'YAMLException' && mark && reason) return `line ${mark.line + 1}, column ${mark.column + 1}: ${reason}`
  if (name === 'JSONError') {
    // parse-json's message is a code frame; JSON.parse says why and where (a character offset).
    const text = await readFile(file, 'utf8')
    try {
      JSON.parse(text)
    } catch (jsonError) {
      const message = errorMessage(jsonError)
      const offset = Number(/at position (\d+)/.exec(message)?.[1] ?? text.length)
      const lines = text.slice(0, offset).split('\n')
      return `line ${lines.length}, column ${(lines.at(-1)?.length ?? 0) + 1}: ${message.replace(/ in JSON at position \d+.*$/, '').replace(/ \(line \d+ column \d+\)$/, '')}`
    }
  }
  if (/\.[cm]?js$/.test(file)) {
    // cosmiconfig hides a JS syntax error behind a loader error; compiling the module again shows it (nothing ran).
    const compiled = await import(pathToFileURL(file).href).then(
      () => undefined,
      (importError: unknown) => importError,
    )
    if ((compiled as Error | undefined)?.name === 'SyntaxError')
      return `SyntaxError: ${firstLine((compiled as Error).message)}`
  }
  return undefined
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text
}
