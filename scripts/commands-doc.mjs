#!/usr/bin/env node
// docs/commands.md's reference is `oclif readme` over the built commands, so it cannot drift from them.
// `node scripts/commands-doc.mjs` rewrites it; `--check` (in npm test) fails when it is not current.
import {execFileSync} from 'node:child_process'
import {copyFileSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const doc = join(root, 'docs', 'commands.md')
const check = process.argv.includes('--check')
const dir = mkdtempSync(join(tmpdir(), 'stripe-seed-commands-doc-'))
const target = check ? join(dir, 'commands.md') : doc
if (check) copyFileSync(doc, target)
try {
  execFileSync(
    join(root, 'node_modules', '.bin', 'oclif'),
    ['readme', '--readme-path', target, '--no-aliases', '--no-source-links'],
    {
      cwd: root,
      env: {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', COLUMNS: '120'},
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
  if (check && readFileSync(target, 'utf8') !== readFileSync(doc, 'utf8')) {
    console.error('docs/commands.md is out of date with the commands: run `npm run docs:commands` and commit it.')
    process.exitCode = 1
  }
} finally {
  rmSync(dir, {force: true, recursive: true})
}
