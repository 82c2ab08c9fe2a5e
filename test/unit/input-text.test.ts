import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsonTextProblem, textProblem, urlPartProblem } from '../../src/http/input-text.ts';

describe('the text rule at the edges (IN-06)', () => {
  test('IN-06: NUL, other C0 controls, DEL and unpaired surrogates are refused; page text keeps tab, CR, LF', () => {
    for (const bad of ['a\u0000b', '\u0001', 'x\u001b[31m', 'del\u007f', 'lone\ud800', '\udc00x']) {
      assert.ok(textProblem(bad, 'line'), JSON.stringify(bad));
      assert.ok(textProblem(bad, 'multiline'), JSON.stringify(bad));
    }
    for (const whitespace of ['a\tb', 'a\nb', 'a\r\nb']) {
      assert.ok(textProblem(whitespace, 'line'), JSON.stringify(whitespace));
      assert.equal(textProblem(whitespace, 'multiline'), undefined, JSON.stringify(whitespace));
    }
    for (const good of ['', 'Projects/Robot Arm', 'emoji \ud83d\ude00', 'עברית \u202e bidi', '\u0085 C1 is printable enough']) {
      assert.equal(textProblem(good, 'line'), undefined, JSON.stringify(good));
    }
  });

  test('IN-06: URL parts are judged on what they decode to; escapes must spell UTF-8', () => {
    for (const bad of ['/w/a%00b', '/w/%0a', '/w/a%ffb', '/w/%ed%a0%80', '/w/%c0%80', '?x=%e2%82']) assert.ok(urlPartProblem(bad), bad);
    for (const good of ['/w/notes/pages/Robot%20Arm', '/w/%e2%82%ac', '/w/100%', '/w/%zz', '?return_to=%2Fapp%2F'])
      assert.equal(urlPartProblem(good), undefined, good);
  });

  test('IN-06: every key and value of a JSON document is checked, at any depth, without recursion', () => {
    assert.ok(jsonTextProblem({ a: [{ b: 'x\u0000' }] }, 'line'));
    assert.ok(jsonTextProblem({ 'k\u0000': 1 }, 'line'));
    let deep: unknown = 'end\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.ok(jsonTextProblem(deep, 'line'));
    assert.equal(jsonTextProblem({ client_name: 'Claude', redirect_uris: ['https://a.example/cb'], n: 1, ok: true, none: null }, 'line'), undefined);
  });
});
