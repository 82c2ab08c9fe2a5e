// The line diff the history and conflict pages show: changed lines with three lines of context, long
// unchanged runs folded, counts of added and removed lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textDiff } from '../../src/wiki/diff.ts';

const numbered = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);

test('diff: a change in the middle of a long text keeps three lines around it and folds the rest', () => {
  const before = `${numbered(1, 20).join('\n')}\n`;
  const after = before.replace('line 10\n', 'line ten\n');
  const { rows, added, removed } = textDiff(before, after);
  assert.equal(added, 1);
  assert.equal(removed, 1);
  assert.deepEqual(rows, [
    { kind: 'folded', lines: 6 },
    ...numbered(7, 9).map((text) => ({ kind: 'same', text })),
    { kind: 'removed', text: 'line 10' },
    { kind: 'added', text: 'line ten' },
    ...numbered(11, 13).map((text) => ({ kind: 'same', text })),
    { kind: 'folded', lines: 7 },
  ]);
});

test('diff: identical texts have no changed rows; a new text is all added', () => {
  assert.equal(textDiff('a\nb', 'a\nb').added, 0);
  assert.deepEqual(textDiff('', 'x\ny'), {
    rows: [
      { kind: 'added', text: 'x' },
      { kind: 'added', text: 'y' },
    ],
    added: 2,
    removed: 0,
  });
});
