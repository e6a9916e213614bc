import oclif from 'eslint-config-oclif'
import prettier from 'eslint-config-prettier'

// eslint-config-oclif, then eslint-config-prettier (prettier owns formatting). The rules turned off
// below fight the project's own style; the ones that find real problems (no-unsafe-*, no-base-to-string,
// no-shadow, eqeqeq, switch-exhaustiveness-check, ...) stay on. Counts are the hits when first run.
export default [
  {ignores: ['dist/**', 'bench/**', 'scripts/**', 'test/unit/golden/**', '**/*.json', '**/*.py']},
  ...oclif,
  prettier,
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    rules: {
      // The team orders object keys, interfaces, unions, imports and members by meaning, not alphabet (~5,600).
      'perfectionist/sort-array-includes': 'off',
      'perfectionist/sort-classes': 'off',
      'perfectionist/sort-exports': 'off',
      'perfectionist/sort-imports': 'off',
      'perfectionist/sort-interfaces': 'off',
      'perfectionist/sort-intersection-types': 'off',
      'perfectionist/sort-named-exports': 'off',
      'perfectionist/sort-named-imports': 'off',
      'perfectionist/sort-object-types': 'off',
      'perfectionist/sort-objects': 'off',
      'perfectionist/sort-sets': 'off',
      'perfectionist/sort-switch-case': 'off',
      'perfectionist/sort-union-types': 'off',
      'unicorn/consistent-class-member-order': 'off',
      // Blank lines and braces are layout, which prettier and the author decide (566).
      '@stylistic/padding-line-between-statements': 'off',
      'unicorn/switch-case-braces': 'off',
      // The regexes are ASCII patterns over ids and Stripe's form encoding; the u flag adds nothing (376).
      'require-unicode-regexp': 'off',
      // Stripe's objects use null for "no value" and Node's APIs return Buffer; the types say what the data is (327).
      '@typescript-eslint/no-restricted-types': 'off',
      // Interfaces and type aliases are both used, by what reads better (208).
      '@typescript-eslint/consistent-type-definitions': 'off',
      // Sequential requests on a lane (and sequential test steps) are the design, not an accident (161).
      'no-await-in-loop': 'off',
      // Boolean names follow the domain (`cancelled`, `dryRun`), not an is/has prefix (160).
      'unicorn/consistent-boolean-name': 'off',
      // A function returning a promise need not be declared async; both are typed (144).
      '@typescript-eslint/promise-function-async': 'off',
      // sort() on arrays the function just built is clearer than toSorted() and equally safe (126).
      'unicorn/no-array-sort': 'off',
      'unicorn/no-array-reverse': 'off',
      // `...(x ? {a} : {})` and `...(x && {a})` are both fine; the team picks per line (107).
      'unicorn/consistent-conditional-object-spread': 'off',
      // Nesting, length, parameter-count and complexity limits are taste; reviews judge readability (211).
      'unicorn/max-nested-calls': 'off',
      complexity: 'off',
      'max-params': 'off',
      'max-depth': 'off',
      'max-nested-callbacks': 'off',
      'unicorn/no-break-in-nested-loop': 'off',
      'unicorn/no-declarations-before-early-exit': 'off',
      // Arrow shorthands that return a value where void is expected are idiomatic callbacks (153).
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/strict-void-return': 'off',
      'no-promise-executor-return': 'off',
      'no-return-assign': 'off',
      'unicorn/no-return-array-push': 'off',
      'unicorn/no-useless-promise-resolve-reject': 'off',
      // Syntax preferences with equivalent alternatives; the existing code is consistent enough (~330).
      'object-shorthand': 'off',
      'prefer-destructuring': 'off',
      'prefer-arrow-callback': 'off',
      'no-void': 'off',
      'no-bitwise': 'off', // the seeded RNG and hashes are bit arithmetic
      '@typescript-eslint/array-type': 'off',
      '@typescript-eslint/consistent-type-assertions': 'off',
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/no-dynamic-delete': 'off',
      '@typescript-eslint/prefer-find': 'off',
      '@typescript-eslint/prefer-string-starts-ends-with': 'off',
      'unicorn/catch-error-name': 'off',
      'unicorn/dom-node-dataset': 'off',
      'unicorn/escape-case': 'off',
      'unicorn/explicit-length-check': 'off',
      'unicorn/import-style': 'off',
      'unicorn/logical-assignment-operators': 'off',
      'unicorn/no-array-callback-reference': 'off',
      'unicorn/no-array-reduce': 'off',
      'unicorn/no-computed-property-existence-check': 'off',
      'unicorn/no-duplicate-loops': 'off',
      'unicorn/no-for-each': 'off',
      'unicorn/no-lonely-if': 'off',
      'unicorn/no-negated-array-predicate': 'off',
      'unicorn/no-negated-condition': 'off',
      'unicorn/no-new-array': 'off',
      'unicorn/no-non-function-verb-prefix': 'off',
      'unicorn/no-object-as-default-parameter': 'off',
      'unicorn/no-unnecessary-boolean-comparison': 'off',
      'unicorn/no-unnecessary-splice': 'off',
      'unicorn/no-unreadable-array-destructuring': 'off',
      'unicorn/no-useless-collection-argument': 'off',
      'unicorn/no-useless-spread': 'off',
      'unicorn/no-useless-switch-case': 'off',
      'unicorn/numeric-separators-style': 'off',
      'unicorn/prefer-array-find': 'off',
      'unicorn/prefer-at': 'off',
      'unicorn/prefer-direct-iteration': 'off',
      'unicorn/prefer-else-if': 'off',
      'unicorn/prefer-export-from': 'off',
      'unicorn/prefer-global-number-constants': 'off',
      'unicorn/prefer-https': 'off',
      'unicorn/prefer-includes-over-repeated-comparisons': 'off',
      'unicorn/prefer-iterator-helpers': 'off',
      'unicorn/prefer-iterator-to-array': 'off',
      'unicorn/prefer-math-min-max': 'off',
      'unicorn/prefer-minimal-ternary': 'off',
      'unicorn/prefer-native-coercion-functions': 'off',
      'unicorn/prefer-number-is-safe-integer': 'off',
      'unicorn/prefer-set-has': 'off',
      'unicorn/prefer-set-methods': 'off',
      'unicorn/prefer-simple-condition-first': 'off',
      'unicorn/prefer-single-call': 'off',
      'unicorn/prefer-split-limit': 'off',
      'unicorn/prefer-string-raw': 'off',
      'unicorn/prefer-string-repeat': 'off',
      'unicorn/prefer-string-replace-all': 'off',
      'unicorn/prefer-string-starts-ends-with': 'off',
      'unicorn/prefer-switch': 'off',
      'unicorn/prefer-ternary': 'off',
      'unicorn/prefer-then-catch': 'off',
      'unicorn/prefer-unicode-code-point-escapes': 'off',
      'unicorn/consistent-existence-index-check': 'off',
      // `||` is deliberate where an empty string means unset (env vars, form fields); `??` would change that (11).
      '@typescript-eslint/prefer-nullish-coalescing': 'off',
      // Buffer is a Node global on every supported version; importing it adds nothing (32).
      'n/prefer-global/buffer': 'off',
      // node:sqlite and readline/promises are used on purpose; engines (>=22.13) is where they work (3).
      'n/no-unsupported-features/node-builtins': 'off',
      // This is a CLI: a second Ctrl-C exits at once, as users expect (3).
      'unicorn/no-process-exit': 'off',
      // Doc comments are prose for readers, not typed API docs (4).
      'jsdoc/require-yields': 'off',
      'jsdoc/escape-inline-tags': 'off',
      // `{id}` and `{CHECKOUT_SESSION_ID}` in these strings are Stripe's literal placeholders, not interpolations (2).
      'unicorn/no-incorrect-template-string-interpolation': 'off',
      // fs.watch with a callback is what a test needs to stop watching on demand (1).
      'n/prefer-promises/fs': 'off',
      // A leading underscore marks a name left unused on purpose (an omitted key in a rest destructuring).
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true}],
      // A switch with a default branch over a union is exhaustive on purpose; missing cases without one still fail.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', {considerDefaultExhaustiveForUnions: true}],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // vitest types its asymmetric matchers (expect.stringContaining, expect.any, ...) as any, so every
      // `{message: expect.stringContaining(...)}` is an "unsafe assignment" (42); the other no-unsafe-* rules stay on.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
]
