import oclif from 'eslint-config-oclif'
import prettier from 'eslint-config-prettier'

export default [
  {ignores: ['dist/**', 'bench/**', 'scripts/**', 'test/unit/golden/**', '**/*.json', '**/*.py']},
  ...oclif,
  prettier,
]
