// Page paths, wiki links and the sanitised Markdown rendering: pure functions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMarkdown } from '../../src/wiki/markdown.ts';
import { wikiLinks } from '../../src/wiki/links.ts';
import { MAX_PATH_LENGTH, normalizePagePath, PagePathError } from '../../src/wiki/paths.ts';

test('paths: segments trimmed, inner spaces collapsed, case kept', () => {
  assert.equal(normalizePagePath(' Projects /  Robot   Arm '), 'Projects/Robot Arm');
  assert.equal(normalizePagePath('home'), 'home');
  assert.notEqual(normalizePagePath('Home'), normalizePagePath('home'));
});

test('paths: empty parts, dot segments, link syntax, controls, invisibles and overlong paths are refused', () => {
  for (const bad of [
    '',
    '/a',
    'a/',
    'a//b',
    '.',
    'a/../b',
    'a|b',
    'a#b',
    '[[a]]',
    'a\\b',
    'a\u0000b',
    'a\u202eb',
    'a\u200bb',
    'x'.repeat(MAX_PATH_LENGTH + 1),
  ]) {
    assert.throws(() => normalizePagePath(bad), PagePathError, JSON.stringify(bad));
  }
  assert.equal(normalizePagePath('x'.repeat(MAX_PATH_LENGTH)).length, MAX_PATH_LENGTH);
});

test('wiki links: targets normalised, labels and sections dropped, duplicates and malformed links ignored', () => {
  assert.deepEqual(wikiLinks('See [[ Parts ]], [[Parts|the parts]], [[Projects/Arm#Wiring]], [[a/../b]], [[]] and [[line\nbreak]].'), [
    'Parts',
    'Projects/Arm',
  ]);
});

test('markdown: wiki links become links, raw HTML is text, dangerous URLs are dropped', () => {
  const pageUrl = (path: string) => `https://w.example/pages/${path.split('/').map(encodeURIComponent).join('/')}`;
  const html = renderMarkdown(
    '# T\n\n[[Projects/Robot Arm|the *arm*]] and [[Parts]]\n\n<b onclick="x()">bold</b>\n\n[a](javascript:alert(1)) [b](data:text/html,hi) ![i](https://tracker.example/p.png)',
    pageUrl,
  );
  assert.match(html, /<a href="https:\/\/w\.example\/pages\/Projects\/Robot%20Arm">the \*arm\*<\/a>/);
  assert.match(html, /<a href="https:\/\/w\.example\/pages\/Parts">Parts<\/a>/);
  assert.match(html, /&lt;b onclick=&quot;x\(\)&quot;&gt;bold&lt;\/b&gt;/);
  assert.doesNotMatch(html, /javascript:|data:text/);
  // Images render as <img>; the page's CSP (img-src 'self' data:) keeps the browser from fetching them.
  assert.match(html, /<img src="https:\/\/tracker\.example\/p\.png"/);
});

test('WK-01: [[links]] in code spans, fenced and indented code are text: not indexed, not rendered as links', () => {
  const pageUrl = (path: string) => `https://w.example/pages/${encodeURIComponent(path)}`;
  const page = [
    'Real [[Parts]], then `[[Inline]]`, ``a [[Double]] ` b`` and [[Half `open]] x`.',
    '',
    '```js',
    'const x = "[[Backticks]]";',
    '```',
    '',
    '~~~',
    '[[Tildes]]',
    '~~~',
    '',
    '    [[Indented]]',
    '',
    '- item',
    '',
    '      [[Nested indented]]',
    '',
    'After the code: [[Tools/Drill|the drill]].',
    '',
    '```',
    'an unclosed fence runs to the end: [[Unclosed]]',
  ].join('\n');
  assert.deepEqual(wikiLinks(page), ['Parts', 'Tools/Drill']);

  const html = renderMarkdown(page, pageUrl);
  assert.match(html, /<a href="https:\/\/w\.example\/pages\/Parts">Parts<\/a>/);
  assert.match(html, /<a href="https:\/\/w\.example\/pages\/Tools%2FDrill">the drill<\/a>/);
  assert.equal((html.match(/<a /g) ?? []).length, 2, html);
  assert.match(html, /<code>\[\[Inline\]\]<\/code>/);
  assert.match(html, /<code>a \[\[Double\]\] ` b<\/code>/);
  assert.match(html, /<code>open\]\] x<\/code>/);
  assert.match(html, /<pre><code class="language-js">const x = &quot;\[\[Backticks\]\]&quot;;\n<\/code><\/pre>/);
  for (const text of ['[[Tildes]]', '[[Indented]]', '[[Nested indented]]', '[[Unclosed]]']) {
    assert.match(html, new RegExp(`<pre><code>[^<]*${text.replace(/[[\]]/g, '\\$&')}`), text);
  }
});
