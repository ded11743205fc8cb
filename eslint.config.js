import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import svelteParser from 'svelte-eslint-parser';
import { fileURLToPath } from 'node:url';
import { roomsPlugin } from './eslint/rooms.js';

const srcDir = fileURLToPath(new URL('./src', import.meta.url));

export default ts.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'public/models/',
      'tests/.generated/',
      'test-results/',
      'playwright-report/',
      'training/',
    ],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node, ...globals.worker } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The UI thread never runs a model: only the runtime room may import tfjs.
    files: ['src/**/*.ts', 'src/**/*.svelte'],
    ignores: ['src/runtime/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@tensorflow/*'], message: 'Only src/runtime/ may import tfjs.' }] },
      ],
    },
  },
  {
    // Type-aware rules on the app's own code: promises, unsafe any, needless assertions.
    files: ['src/**/*.ts', 'src/**/*.svelte'],
    extends: [ts.configs.recommendedTypeCheckedOnly],
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.json', './tsconfig.worker.json'],
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
  },
  {
    // Svelte components keep their own parser (the type-aware block above sets the TS one).
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parser: svelteParser, parserOptions: { parser: ts.parser } },
    rules: {
      // `let { a } = $props()` is how Svelte declares props; svelte/prefer-const knows the runes.
      'prefer-const': 'off',
      // typescript-eslint's program does not read .svelte files, so the props and exports of an
      // imported component type as unresolved here; svelte-check types them instead.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  {
    // Rooms import each other only as ARCHITECTURE.md's table allows, and only through index.ts.
    files: ['src/**/*.ts', 'src/**/*.svelte'],
    plugins: { rooms: roomsPlugin(srcDir) },
    rules: { 'rooms/boundaries': 'error' },
  },
);
