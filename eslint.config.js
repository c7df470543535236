import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layering, kept by no-restricted-imports (ESLint's own rule: no plugin to keep up to date).
// Imports are matched as written, so each pattern is relative to the folder it is for.
// - src/aws/*.ts is the base every AWS client shares; one folder below it per AWS API (adapter).
// - An adapter imports its own folder, the base, the pure core's types and helpers, and of the
//   controller only what it implements or reports in: its ports and errors, the clock, the
//   dead-letter port and the run identity's startedBy prefix (in any subfolder of src/controller).
// - Nothing imports up or sideways: the base no adapter; an adapter no other folder of src/aws or
//   of src beside src/aws (task events once took the SQS client from the trigger's folder); no
//   AWS code the controller's machinery, the CLI, the app (app.ts and its builders in app/) or
//   another side (kube, metrics); the core no adapter at all.
const ABOVE_ADAPTERS = 'app\\.js$|app/|cli/|kube/|metrics/|migrate/|standalone/|policy/';
const CONTROLLER_PORTS = '(errors|ports|clock|dead-letter|run-identity)\\.js$';

function layering(patterns) {
  return { 'no-restricted-imports': ['error', { patterns }] };
}

function awsLayers(up) {
  return [
    {
      regex: `^${up}(${ABOVE_ADAPTERS})`,
      message: 'AWS code is an adapter: it may not import the CLI, the app or another side.',
    },
    {
      regex: `^${up}controller/(?!(.*/)?${CONTROLLER_PORTS})`,
      message:
        'An AWS adapter imports only the ports and errors of the controller (errors, ports, clock, dead-letter, run-identity).',
    },
  ];
}

const awsLayering = [
  {
    files: ['src/aws/*.ts'],
    rules: layering([
      ...awsLayers('\\.\\./'),
      {
        regex: '^\\./[^/]+/',
        message: 'The AWS base (src/aws/*.ts) is below the adapters (src/aws/*/): it may not import one.',
      },
    ]),
  },
  {
    files: ['src/aws/*/**/*.ts'],
    rules: layering([
      ...awsLayers('\\.\\./\\.\\./'),
      {
        regex: '^\\.\\./(?!\\.\\./)[^/]+/',
        message:
          'An AWS adapter (src/aws/<api>/) may not import another one: move what both need to the base (src/aws/*.ts).',
      },
    ]),
  },
  {
    files: ['src/{controller,schedule,api,flow,log,policy}/**/*.ts'],
    rules: layering([
      {
        regex: '^(\\.\\./)+(aws|kube)/',
        message: 'The core imports no adapter: it takes a port, and the app passes the adapter.',
      },
    ]),
  },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.testenv/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read environment variables in src/config.ts only.' },
      ],
    },
  },
  {
    files: ['src/config.ts', 'scripts/**', 'test/**', 'bench/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  ...awsLayering,
  {
    files: ['**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
      },
    },
  },
);
