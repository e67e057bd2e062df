// Lint rules. workflows/ is the deterministic sandbox: no Node built-ins, no clocks, no randomness
// outside the SDK's deterministic replacements, no imports of activities' implementations.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.state/', '.venv/', '.venv-trainer/', '.cache/', 'dist/', 'artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must not use Node built-ins.' })),
          patterns: [
            { group: ['../activities/*'], allowTypeImports: true, message: 'Workflows import activity types only (import type).' },
            { group: ['../src/trainer', '../src/trainer/*', '../src/devserver/*', '../src/cli/*', '../workers/*'], allowTypeImports: true, message: 'No I/O in workflow code.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Workflow code must not read the process.' },
        { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'require', message: 'Use imports.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Non-deterministic; derive randomness from the seed.' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "ImportExpression", message: 'No dynamic imports in workflow code.' },
      ],
    },
  },
);
