// Pins the test-only metadata builder (metadata.mjs) to docs/protocol.md §1: the §1.4 test vector and the piece size rule.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GiB, KiB, MiB, VECTOR_HEX, VECTOR_ID, buildFakeShare, pieceSizeFor, vectorShare } from './metadata.mjs';

test('builder reproduces the §1.4 test vector bytes and id exactly', () => {
  const share = vectorShare();
  assert.equal(share.bytes.length, 122);
  assert.equal(share.bytes.toString('hex'), VECTOR_HEX);
  assert.equal(share.id, VECTOR_ID);
  assert.equal(share.pieceSize, 262144);
  assert.equal(share.pieceCount, 2);
  assert.equal(share.totalSize, 300006);
});

test('piece size rule follows the §1.2 table', () => {
  assert.equal(pieceSizeFor(0), 256 * KiB);
  assert.equal(pieceSizeFor(1), 256 * KiB);
  assert.equal(pieceSizeFor(8 * GiB), 256 * KiB);
  assert.equal(pieceSizeFor(8 * GiB + 1), 512 * KiB);
  assert.equal(pieceSizeFor(16 * GiB), 512 * KiB);
  assert.equal(pieceSizeFor(16 * GiB + 1), 1 * MiB);
  assert.equal(pieceSizeFor(32 * GiB), 1 * MiB);
  assert.equal(pieceSizeFor(512 * GiB), 16 * MiB);
});

test('fake shares (made-up hashes) have the right piece count', () => {
  const s = buildFakeShare({ name: 'big', files: [{ path: 'x', size: 9 * GiB }] });
  assert.equal(s.pieceSize, 512 * KiB);
  assert.equal(s.pieceCount, 18432);
  assert.equal(s.bytes.length, 4 + 4 + 2 + 3 + 4 + (2 + 1 + 8) + 4 + 18432 * 32);
});
