// @ts-check
// One lint configuration for every package: ESLint's and typescript-eslint's recommended rules on the TypeScript
// sources and tests (`npm run lint`; CI runs it before the tests).
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['**/dist/**', '**/node_modules/**', '.stryker-tmp/**', 'reports/**', 'examples/**', 'scripts/**', 'eslint.config.mjs'] },
  {
    files: ['**/*.ts'],
    extends: [eslint.configs.recommended, tseslint.configs.recommended],
    rules: {
      // A leading underscore marks a parameter an override must accept but does not use (e.g. a layer's `call(inputs, _kwargs)`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  }
);
