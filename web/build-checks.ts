// A vite plugin that fails a production build whose output still carries an invariant check
// (src/engine/invariant.ts): it reads the message of every invariant(() => ..., 'message') call as
// the sources are loaded, and looks for each message in the chunks and assets written.
import type { Plugin } from 'vite';

const CALL = /\binvariant\(\s*\(\)\s*=>[\s\S]*?,\s*'([^'\\]+)'\s*\)/g;

// Every invariant message in `source`.
export function invariantMessages(source: string): string[] {
  return [...source.matchAll(CALL)].map((m) => m[1]!);
}

export function noInvariantsInProduction(): Plugin {
  const messages = new Set<string>();
  let production = false;
  return {
    name: 'peershare-no-invariants-in-production',
    enforce: 'pre',
    apply: 'build',
    configResolved(config) {
      production = !config.env.DEV;
    },
    transform(code, id) {
      if (id.includes('/src/') && id.endsWith('.ts')) for (const m of invariantMessages(code)) messages.add(m);
      return null;
    },
    generateBundle(_options, bundle) {
      if (!production) return;
      for (const file of Object.values(bundle)) {
        const text = file.type === 'chunk' ? file.code : typeof file.source === 'string' ? file.source : '';
        for (const m of messages) if (text.includes(m)) this.error(`${file.fileName} still checks "${m}": invariants must compile to nothing`);
      }
    },
  };
}
