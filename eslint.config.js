import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const NO_IO_PACKAGES = ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', 'mongodb', 'express'];

/** Node's built-in modules, under both names, each restricted but for the names `allowed` lets through. */
function nodeModules(allowed = {}) {
  return builtinModules.flatMap((name) =>
    [name, `node:${name}`].map((path) => (allowed[name] ? { name: path, allowImportNames: allowed[name] } : path)),
  );
}

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.data/', 'coverage/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed deterministically inside Temporal's sandbox: no Node I/O.
    files: ['workflows/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: nodeModules(), patterns: NO_IO_PACKAGES }] },
  },
  {
    // The domain is pure too, but for Node's address parsing and HMAC: computations without I/O, for the code that
    // runs outside workflows (a workflow that imports them fails to bundle).
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: nodeModules({ net: ['isIP', 'BlockList'], crypto: ['createHmac'] }), patterns: NO_IO_PACKAGES },
      ],
    },
  },
  {
    // Tests read arbitrary JSON answers and assert on their shape.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
