// Checks of what the code relies on (piece accounting, cache sizes, state machines), on in
// development and test builds (vitest) and gone from the production bundle. The condition is a
// function and the message a string literal so that the minifier drops the whole call: a plain
// condition would still be evaluated. tests/engine/invariant.test.ts builds the bundle and checks
// that no message is left in it.

export const CHECKS_ENABLED = import.meta.env.DEV;

// The code broke one of its own rules: a bug, never bad input (bad input gets a typed error).
export class InvariantError extends Error {
  constructor(message: string) {
    super(`invariant broken: ${message}`);
    this.name = 'InvariantError';
  }
}

export function invariant(condition: () => boolean, message: string): void {
  if (CHECKS_ENABLED && !condition()) throw new InvariantError(message);
}
