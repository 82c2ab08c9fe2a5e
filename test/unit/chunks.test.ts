// Pages → section-aware chunks: each chunk carries the headings above it; headings inside fenced code
// are text; long sections are cut at paragraph ends, then at whitespace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkMarkdown } from '../../src/wiki/chunks.ts';

test('each section becomes a chunk carrying its heading path, outermost first', () => {
  const page = [
    'Intro before any heading.',
    '# Robot arm',
    '## Servos',
    'Six MG996R servos.',
    '### Wiring',
    'Signal to pin 9.',
    '## Power ##',
    'A 6 V supply.',
    '# Parts',
    'Brackets and screws.',
  ].join('\n');
  assert.deepEqual(chunkMarkdown(page), [
    { headingPath: [], text: 'Intro before any heading.' },
    { headingPath: ['Robot arm', 'Servos'], text: 'Six MG996R servos.' },
    { headingPath: ['Robot arm', 'Servos', 'Wiring'], text: 'Signal to pin 9.' },
    { headingPath: ['Robot arm', 'Power'], text: 'A 6 V supply.' },
    { headingPath: ['Parts'], text: 'Brackets and screws.' },
  ]);
});

test('a heading with only subsections makes no chunk of its own; an empty page makes none', () => {
  assert.deepEqual(chunkMarkdown('# Top\n\n## Child\ntext'), [{ headingPath: ['Top', 'Child'], text: 'text' }]);
  assert.deepEqual(chunkMarkdown(''), []);
  assert.deepEqual(chunkMarkdown('# Only a title'), []);
});

test('a skipped level nests under the nearest higher heading; "#hashtag" is no heading', () => {
  assert.deepEqual(chunkMarkdown('# A\n### C\nx\n## B\ny\n#hashtag line'), [
    { headingPath: ['A', 'C'], text: 'x' },
    { headingPath: ['A', 'B'], text: 'y\n#hashtag line' },
  ]);
});

test('lines inside fenced code are never headings', () => {
  const page = '# Shell\n```sh\n# a comment, not a heading\necho hi\n```\n~~~\n## nor this\n~~~\nafter';
  assert.deepEqual(chunkMarkdown(page), [{ headingPath: ['Shell'], text: '```sh\n# a comment, not a heading\necho hi\n```\n~~~\n## nor this\n~~~\nafter' }]);
});

test('a long section is cut at paragraph ends, and a long paragraph at whitespace, under the same headings', () => {
  const paragraph = (word: string) => Array.from({ length: 30 }, () => word).join(' ');
  const chunks = chunkMarkdown(`# Long\n${paragraph('alpha')}\n\n${paragraph('beta')}\n\n${'gamma '.repeat(100)}`, 200);
  assert.ok(chunks.length >= 4);
  for (const chunk of chunks) {
    assert.deepEqual(chunk.headingPath, ['Long']);
    assert.ok(chunk.text.length <= 200, `chunk of ${chunk.text.length} characters`);
    assert.doesNotMatch(chunk.text, /^\s|\s$/);
  }
  assert.equal(chunks[0]!.text, paragraph('alpha'));
  assert.equal(chunks[1]!.text, paragraph('beta'));
  assert.equal(
    chunks
      .slice(2)
      .map((chunk) => chunk.text)
      .join(' '),
    'gamma '.repeat(100).trim(),
  );
});
