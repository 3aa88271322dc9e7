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

/**
 * The layers' boundaries (README, Layout): which folders each one may not import from (`none`), or only types from
 * (`typesOnly`). worker/, scripts/, bench/ and test/ compose the layers, so they import them all.
 */
const BOUNDARIES = {
  domain: {
    none: ['application', 'workflows', 'activities', 'store', 'api', 'worker', 'config', 'scripts'],
    why: 'the domain is pure and shared by every layer, so it imports none of them',
  },
  workflows: {
    none: ['application', 'store', 'api', 'worker', 'config', 'scripts'],
    typesOnly: ['activities'],
    why: 'workflow code runs in the sandbox: it proxies activities by their types and imports the domain',
  },
  activities: {
    none: ['application', 'workflows', 'api', 'worker', 'scripts'],
    why: "activities receive the use cases they start as ports, from the worker's composition (worker/compose.ts)",
  },
  application: {
    none: ['activities', 'api', 'worker', 'scripts'],
    why: 'the use cases serve the API and the worker, and know neither',
  },
  store: {
    none: ['application', 'workflows', 'activities', 'api', 'worker', 'scripts'],
    why: "the store keeps documents: it imports the domain's vocabulary and nothing that uses it",
  },
  api: {
    none: ['activities', 'worker', 'scripts'],
    typesOnly: ['store', 'workflows'],
    why: 'routers call application/ and map its outcomes to HTTP',
  },
  config: {
    none: ['application', 'workflows', 'activities', 'store', 'api', 'worker', 'scripts'],
    why: 'configuration is read before anything else is built',
  },
  client: {
    none: ['domain', 'application', 'workflows', 'activities', 'store', 'api', 'worker', 'config', 'scripts'],
    why: 'the client is for integrators: it knows the API only through the types generated from its OpenAPI document',
  },
};

/** `../store/ledger`, `../../store/ledger`, …: an import of one of these top-level folders from inside another. */
const importOf = (folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;

function boundaryRules() {
  return Object.entries(BOUNDARIES).map(([folder, { none, typesOnly = [], why }]) => ({
    files: [`${folder}/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: importOf(none), message: `${folder}/ may not import that: ${why}.` },
            ...(typesOnly.length > 0
              ? [
                  {
                    regex: importOf(typesOnly),
                    allowTypeImports: true,
                    message: `${folder}/ may import only types from there: ${why}.`,
                  },
                ]
              : []),
          ],
        },
      ],
    },
  }));
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
        { paths: nodeModules({ net: ['isIP'], crypto: ['createHmac'] }), patterns: NO_IO_PACKAGES },
      ],
    },
  },
  ...boundaryRules(),
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
