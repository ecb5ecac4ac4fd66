// Covers app/naming: names from picked files are valid share names and paths (§1.1), made unique.
import { describe, expect, it } from 'vitest';

import { safeName, shareName, uniquePaths } from '../../src/app/naming';

describe('naming', () => {
  it('replaces what a name may not contain and refuses the dot names', () => {
    expect(safeName('a/b\\c\u0001d\u007f')).toBe('a_b_c_d_');
    expect(safeName('')).toBe('file');
    expect(safeName('.')).toBe('file');
    expect(safeName('..')).toBe('file');
    expect(safeName('...')).toBe('...');
    expect(safeName('x'.repeat(500)).length).toBe(200);
  });

  it('makes the paths of files with the same name unique, in order', () => {
    expect(uniquePaths([{ name: 'a.txt' }, { name: 'b.txt' }, { name: 'a.txt' }, { name: 'a.txt' }])).toEqual(['a.txt', 'b.txt', '2-a.txt', '3-a.txt']);
    expect(uniquePaths([{ name: 'x' }, { name: '2-x' }, { name: 'x' }])).toEqual(['x', '2-x', '3-x']);
  });

  it("names a share after its one file, or counts its files", () => {
    expect(shareName([{ name: 'photo.jpg' }])).toBe('photo.jpg');
    expect(shareName([{ name: 'a' }, { name: 'b' }, { name: 'c' }])).toBe('3 files');
  });
});
