// Vite build and Vitest settings for the web app; the root is this folder wherever vite is run from.
import { defineConfig } from 'vitest/config';

import { noInvariantsInProduction } from './build-checks';

const root = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig({
  root,
  base: '/',
  plugins: [noInvariantsInProduction()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
  },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
  },
});
