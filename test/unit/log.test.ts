import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger, redactUrl } from '../../src/log.ts';
import { LogCapture } from '../helpers/platform.ts';

describe('logging hygiene', () => {
  test('LG-02: secret query parameters are redacted from logged URLs', () => {
    const logged = redactUrl(
      '/auth/callback?code=SECRETCODE&state=STATEVALUE&iss=https%3A%2F%2Fpds.example&request_uri=urn%3Ax&access_token=AT&refresh_token=RT',
    );
    for (const secret of ['SECRETCODE', 'STATEVALUE', 'urn', 'AT&', 'RT']) assert.ok(!logged.includes(secret), `${secret} in ${logged}`);
    assert.match(logged, /iss=https%3A%2F%2Fpds\.example/, 'harmless parameters stay');
    assert.equal(redactUrl('/auth/login'), '/auth/login');
  });

  test('LG-01: secret-bearing fields and headers are censored', () => {
    const capture = new LogCapture();
    const log = createLogger('debug', capture);
    log.info(
      {
        token: 'T1',
        code: 'C1',
        secret: 'S1',
        privateJwk: { d: 'D1' },
        headers: { authorization: 'Bearer A1', cookie: 'platform_token=P1', dpop: 'DP1' },
        nested: { accessToken: 'AT1', refreshToken: 'RT1' },
      },
      'x',
    );
    const text = capture.text();
    for (const secret of ['T1', 'C1', 'S1', 'D1', 'A1', 'P1', 'DP1', 'AT1', 'RT1'])
      assert.ok(!text.includes(`"${secret}`) && !text.includes(` ${secret}`) && !text.includes(`=${secret}`), `${secret} leaked: ${text}`);
  });

  test('an event listener hears every event line, whatever the level; the stream still keeps only its level', () => {
    for (const level of ['info', 'warn', 'silent']) {
      const capture = new LogCapture();
      const heard: string[] = [];
      const log = createLogger(level, capture, (fields) => heard.push(fields.event));
      log.info({ event: 'oauth.code.issued', clientId: 'c' }, 'issued');
      log.warn({ event: 'oauth.refresh.replayed', clientId: 'c' }, 'reused');
      log.info({ clientId: 'c' }, 'no event here');
      log.child({ requestId: 'r' }).info({ event: 'wiki.created' }, 'created');
      assert.deepEqual(heard, ['oauth.code.issued', 'oauth.refresh.replayed', 'wiki.created'], level);
      const kept = capture.lines.map((line) => JSON.parse(line).msg);
      assert.deepEqual(kept, { info: ['issued', 'reused', 'no event here', 'created'], warn: ['reused'], silent: [] }[level], level);
    }
  });

  test('LG-03: CR/LF and JSON breakers cannot forge lines; long strings are truncated', () => {
    const capture = new LogCapture();
    const log = createLogger('info', capture);
    log.info({ handle: 'evil\n{"level":50,"msg":"forged"}\r\n\u001b[31m', userAgent: 'x'.repeat(10_000) }, 'login');
    assert.equal(capture.lines.length, 1, 'one line only');
    const record = JSON.parse(capture.lines[0]!);
    assert.match(record.handle, /forged/);
    assert.ok(record.userAgent.length < 600, 'truncated');
    assert.match(record.userAgent, /10000 chars/);
  });
});
