// Lint, including the import direction of DEVELOPERS.md:
// app/features -> store -> worker-client -> protocol <- worker -> model, checkpoints; src/shared below all.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const TF = { group: ['@tensorflow/*'], message: '@tensorflow/* belongs in src/model, src/checkpoints and src/worker only.' };
const REACT = { group: ['react', 'react-dom', 'react-dom/*', 'zustand', 'zustand/*'], message: 'No React or store code here.' };
const rel = (dirs, message) => ({ group: dirs.flatMap((d) => [`**/${d}`, `**/${d}/*`, `**/${d}/**`]), message });
const UI = rel(['app', 'features', 'store', 'worker-client'], 'UI code must not be imported here.');
const WORKER = rel(['worker'], 'Only the worker entry imports worker code.');
const MODEL = rel(['model', 'checkpoints'], 'The UI reaches the model through the worker protocol only.');

const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'training', 'coverage', 'test-results', 'public', 'tmp'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node, ...globals.worker } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules },
  },
  { files: ['src/model/**'], rules: restrict(REACT, UI, WORKER, rel(['protocol'], 'The model knows nothing of messages.')) },
  { files: ['src/model/**'], languageOptions: { globals: { ...globals.es2021 } } },
  { files: ['src/checkpoints/**'], rules: restrict(REACT, UI, WORKER) },
  { files: ['src/protocol/**', 'src/shared/**'], rules: restrict(TF, REACT, UI, WORKER, MODEL) },
  { files: ['src/worker/**'], rules: restrict(REACT, UI) },
  { files: ['src/worker-client/**'], rules: restrict(TF, REACT, rel(['app', 'features', 'store'], 'worker-client sits below the store.'), WORKER, MODEL) },
  { files: ['src/store/**'], rules: restrict(TF, rel(['app', 'features'], 'The store sits below the UI.'), WORKER, MODEL) },
  { files: ['src/app/**', 'src/features/**'], rules: restrict(TF, WORKER, MODEL) },
);
