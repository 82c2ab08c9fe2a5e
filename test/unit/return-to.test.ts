import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.ts';
import { safeReturnTo } from '../../src/web/return-to.ts';

describe('return_to (no open redirect)', () => {
  const pathMode = loadConfig({});
  const hostMode = loadConfig({ PUBLIC_URL: 'https://robot.wtf', WIKI_DOMAIN: 'robot.wtf' });

  test('same-origin paths are kept', () => {
    assert.equal(safeReturnTo('/app/', pathMode), '/app/');
    assert.equal(safeReturnTo('/w/notes/mcp?x=1', pathMode), '/w/notes/mcp?x=1');
    assert.equal(safeReturnTo('http://127.0.0.1:8003/app/', pathMode), 'http://127.0.0.1:8003/app/');
  });

  test('wiki origins are kept in host mode, nothing else', () => {
    assert.equal(safeReturnTo('https://notes.robot.wtf/authorize?x=1', hostMode), 'https://notes.robot.wtf/authorize?x=1');
    for (const evil of ['https://a.b.robot.wtf/', 'https://robot.wtf.evil.com/', 'http://notes.robot.wtf/', 'https://notes.robot.wtf:8443/', 'https://user@notes.robot.wtf/']) {
      assert.equal(safeReturnTo(evil, hostMode), undefined, evil);
    }
  });

  test('other origins, scheme-relative and backslash tricks are dropped', () => {
    for (const evil of ['https://evil.example/', '//evil.example', '/\\evil.example', '\\\\evil.example', 'javascript:alert(1)', 'data:text/html,x', '/app/\r\nSet-Cookie: x', '', undefined, '/'.padEnd(3000, 'a')]) {
      assert.equal(safeReturnTo(evil, pathMode), undefined, JSON.stringify(evil));
    }
  });
});
