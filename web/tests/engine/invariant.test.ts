// Covers engine/invariant: the checks throw in test builds, and the production bundle carries none
// of them (built here, in memory, with the app's own vite config, then searched for the message of
// every check in the sources).
import { build, type Rollup } from 'vite';
import { describe, expect, it } from 'vitest';

import { invariantMessages } from '../../build-checks';
import { CHECKS_ENABLED, invariant, InvariantError } from '../../src/engine/invariant';

const CONFIG = decodeURIComponent(new URL('../../vite.config.ts', import.meta.url).pathname);
const sources = import.meta.glob<string>('../../src/**/*.ts', { query: '?raw', import: 'default', eager: true });
// vite builds for production only when NODE_ENV says so, and vitest sets it to 'test'.
const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;

const messagesInSources = (): string[] => Object.values(sources).flatMap(invariantMessages);

async function productionBundle(): Promise<string> {
  const nodeEnv = env.NODE_ENV;
  env.NODE_ENV = 'production';
  try {
    const result = await build({ configFile: CONFIG, mode: 'production', logLevel: 'silent', build: { write: false } });
    const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[];
    return outputs
      .flatMap((o) => o.output)
      .map((f) => (f.type === 'chunk' ? f.code : typeof f.source === 'string' ? f.source : ''))
      .join('\n');
  } finally {
    env.NODE_ENV = nodeEnv;
  }
}

describe('invariant', () => {
  it('throws an InvariantError naming what broke when checks are on, as in every test run', () => {
    expect(CHECKS_ENABLED).toBe(true);
    expect(() => invariant(() => true, 'holds')).not.toThrow();
    expect(() => invariant(() => false, 'two and two make four')).toThrow(InvariantError);
    expect(() => invariant(() => false, 'two and two make four')).toThrow('invariant broken: two and two make four');
  });

  it('leaves no check in the production bundle', { timeout: 60_000 }, async () => {
    const messages = messagesInSources();
    expect(messages.length, 'the engine asserts what it relies on').toBeGreaterThanOrEqual(5);
    const bundle = await productionBundle();
    // The search reads the real bundle: a sentence the engine keeps in production is there.
    expect(bundle.includes('both peers hold the whole share')).toBe(true);
    expect(bundle.includes('invariant broken'), 'the helper is in the bundle').toBe(false);
    for (const message of messages) expect(bundle.includes(message), `the check "${message}" is in the bundle`).toBe(false);
  });
});
