import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CLIENT_LABEL_MAX, clientLabel } from '../../src/authserver/client-label.ts';
import { hiddenCharactersIn } from '../helpers/html.ts';

describe('client labels', () => {
  test('CS-05: bidi controls, zero-width and other hidden characters are shown as escapes, not obeyed', () => {
    assert.equal(clientLabel('Claude\u202Egnp.live', 'x'), 'Claude\\u202Egnp.live');
    assert.equal(clientLabel('Cl\u200Baude', 'x'), 'Cl\\u200Baude', 'zero-width space');
    assert.equal(clientLabel('a\u2066b\u2069c\u061Cd', 'x'), 'a\\u2066b\\u2069c\\u061Cd', 'isolates and the Arabic letter mark');
    assert.equal(clientLabel('tab\there\nnew\u0000', 'x'), 'tab\\u0009here\\u000Anew\\u0000');
    assert.equal(clientLabel('\u3164\uFEFF\u00AD', 'x'), '\\u3164\\uFEFF\\u00AD', 'fillers, BOM, soft hyphen');
    assert.equal(clientLabel('tag\u{E0041}', 'x'), 'tag\\u{E0041}', 'astral tag characters');
    assert.equal(clientLabel('lone\uD800', 'x'), 'lone\\uD800');
  });

  test('CS-05: ordinary names, accents, scripts and spaces are unchanged', () => {
    for (const name of ['Claude', 'Claude Code', 'ChatGPT', 'MCP Inspector', 'Zoë’s app', '日本語クライアント', 'عميل', 'a\u00A0b']) {
      assert.equal(clientLabel(name, 'x'), name);
    }
  });

  test('CS-05: a missing, non-string or blank name falls back; long names are cut with an ellipsis', () => {
    assert.equal(clientLabel(undefined, 'app.example'), 'app.example');
    assert.equal(clientLabel(42, 'app.example'), 'app.example');
    assert.equal(clientLabel('   ', 'app.example'), 'app.example');
    const long = clientLabel('x'.repeat(10_000), 'f');
    assert.equal(long, `${'x'.repeat(CLIENT_LABEL_MAX)}…`);
    assert.equal(clientLabel(`${'x'.repeat(CLIENT_LABEL_MAX - 2)}\u202E`, 'f'), `${'x'.repeat(CLIENT_LABEL_MAX - 2)}…`, 'an escape is never cut in half');
  });

  test('CS-05: for any input, the label holds no hidden character and stays short', () => {
    const hostile = fc.constantFrom('\u202E', '\u2066', '\u200B', '\u200D', '\uD800', '\uDFFF', '\u3164', '\u2028', '\u0000', '\u{E0001}');
    const unit = fc.oneof(hostile, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 300 }), (name) => {
        const label = clientLabel(name, 'fallback');
        assert.deepEqual(hiddenCharactersIn(label), []);
        assert.ok(label.length <= CLIENT_LABEL_MAX + 1);
      }),
      { numRuns: 2000 },
    );
  });
});
