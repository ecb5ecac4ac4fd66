// Covers net/outstanding: the messages awaiting an answer are settled in the order they were sent
// (an answer settles every earlier message as passed), and the signals kept are bounded.
import { describe, expect, it } from 'vitest';

import { MAX_UNSETTLED_SIGNALS, Outstanding, type Settlement } from '../../src/net/outstanding';

function recorder() {
  const settled: Array<[number, Settlement['kind']]> = [];
  const entry = (id: number, kind: 'request' | 'signal') => ({ kind, settle: (s: Settlement) => settled.push([id, s.kind]) });
  return { settled, entry };
}

const left = { type: 'left' as const, id: 3, resource: 'ab'.repeat(32) as never };

describe('Outstanding', () => {
  it('settles the answered message and every one sent before it, and none after', () => {
    const o = new Outstanding();
    const { settled, entry } = recorder();
    for (const [id, kind] of [[1, 'signal'], [2, 'request'], [3, 'request'], [4, 'signal']] as const) o.add(id, entry(id, kind));
    o.answered(3, left);
    expect(settled).toEqual([[1, 'passed'], [2, 'passed'], [3, 'answered']]);
    expect(o.size).toBe(1);
  });

  it('still settles earlier messages when the answered one is gone (it timed out)', () => {
    const o = new Outstanding();
    const { settled, entry } = recorder();
    o.add(1, entry(1, 'signal'));
    o.add(2, entry(2, 'request'));
    expect(o.remove(2)).toBeDefined();
    o.answered(2, null);
    expect(settled).toEqual([[1, 'passed']]);
    expect(o.remove(2)).toBeUndefined();
  });

  it('settles a message whose answer could not be read as malformed', () => {
    const o = new Outstanding();
    const { settled, entry } = recorder();
    o.add(5, entry(5, 'request'));
    o.answered(5, null);
    expect(settled).toEqual([[5, 'malformed']]);
  });

  it('settles everything as lost when the connection goes', () => {
    const o = new Outstanding();
    const { settled, entry } = recorder();
    o.add(1, entry(1, 'request'));
    o.add(2, entry(2, 'signal'));
    o.lose();
    expect(settled).toEqual([[1, 'lost'], [2, 'lost']]);
    expect(o.size).toBe(0);
  });

  it(`keeps at most ${MAX_UNSETTLED_SIGNALS} signals, forgetting the oldest, and never a request for them`, () => {
    const o = new Outstanding();
    const { settled, entry } = recorder();
    o.add(0, entry(0, 'request'));
    for (let id = 1; id <= MAX_UNSETTLED_SIGNALS + 2; id++) o.add(id, entry(id, 'signal'));
    expect(settled).toEqual([[1, 'forgotten'], [2, 'forgotten']]);
    expect(o.size).toBe(MAX_UNSETTLED_SIGNALS + 1);
    o.answered(0, left);
    expect(settled.at(-1)).toEqual([0, 'answered']);
  });
});
