// What the harness itself counts as a failure, pinned against the real binary: the error lines of a
// server's stderr (in the log format the server writes), crash reports, and metrics that are missing.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { metric, readMetrics, runBinary, scenario, stderrProblems } from './harness.mjs';

test('an error line the real server logs fails a test, unless the test declared it', async () => {
  // A refused start logs one error line and exits.
  const r = await runBinary(['serve', '--host', 'not-an-address', '--port', '0', '--no-stun', '--data-dir', 'unused']);
  assert.equal(r.code, 2, r.stderr);
  const problems = stderrProblems(r.stderr);
  assert.equal(problems.length, 1, `one problem in:\n${r.stderr}`);
  assert.match(problems[0], /^logged an error the test did not declare: .* error --host 'not-an-address' is not an IP address$/);
  assert.deepEqual(stderrProblems(r.stderr, [/^--host 'not-an-address' is not an IP address$/]), []);
  assert.equal(stderrProblems(r.stderr, [/^--host 'other' is not an IP address$/]).length, 1, 'an allowance for another line does not cover it');
});

test('info and warn lines are not failures; sanitizer and runtime reports are, whatever the test declared', () => {
  const quiet = [
    '2026-12-07T10:00:00.000Z info  listening on http://127.0.0.1:8080 with 2 thread(s), one event loop each',
    '2026-12-07T10:00:00.001Z warn  store: announce of 00 failed: sqlite step: database or disk is full',
  ].join('\n');
  assert.deepEqual(stderrProblems(quiet), []);
  const reports = [
    '==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010',
    'server/src/core/tracker.cpp:120:9: runtime error: signed integer overflow',
    "terminate called after throwing an instance of 'std::runtime_error'",
    "peershare: server/src/core/swarm_registry.cpp:88: void f(): Assertion `member' failed.",
    '*** stack smashing detected ***: terminated',
    'free(): invalid pointer',
    '==4242==ERROR: LeakSanitizer: detected memory leaks',
  ];
  for (const line of reports) assert.equal(stderrProblems(`${quiet}\n${line}\n`, [/.*/]).length, 1, line);
});

test('metric() fails on a sample /metrics does not have, naming it', () =>
  scenario(async (ctx) => {
    const m = await readMetrics(await ctx.startServer());
    assert.equal(metric(m, 'peershare_errors_total', { code: 'not_found' }), 0, 'a counter not yet moved is rendered as 0');
    assert.throws(() => metric(m, 'peershare_no_such_metric'), /no sample peershare_no_such_metric$/);
    assert.throws(
      () => metric(m, 'peershare_errors_total', { code: 'no_such_code' }),
      /no sample peershare_errors_total\{"code":"no_such_code"\}; peershare_errors_total has \{"code":"bad_json"\}/,
    );
    assert.throws(() => metric(m, 'peershare_errors_total'), /samples matching peershare_errors_total: name every label/);
  }));
