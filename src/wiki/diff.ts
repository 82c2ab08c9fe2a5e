// The difference between two texts, line by line (jsdiff's Myers diff), as rows a page can show:
// changed lines with a few unchanged ones around them, long unchanged runs folded into one row.
import { diffLines } from 'diff';

export type DiffRow = { kind: 'added' | 'removed' | 'same'; text: string } | { kind: 'folded'; lines: number };

export interface TextDiff {
  rows: DiffRow[];
  added: number;
  removed: number;
}

const CONTEXT_LINES = 3;

const linesOf = (value: string) => value.replace(/\n$/, '').split('\n');

export function textDiff(before: string, after: string): TextDiff {
  const rows: DiffRow[] = [];
  let added = 0;
  let removed = 0;
  const changes = diffLines(before, after);
  changes.forEach((change, index) => {
    const lines = linesOf(change.value);
    if (change.added || change.removed) {
      const kind = change.added ? 'added' : 'removed';
      if (change.added) added += lines.length;
      else removed += lines.length;
      for (const text of lines) rows.push({ kind, text });
      return;
    }
    // Unchanged: keep the lines next to a change, fold the middle.
    const keepHead = index === 0 ? 0 : CONTEXT_LINES;
    const keepTail = index === changes.length - 1 ? 0 : CONTEXT_LINES;
    if (lines.length <= keepHead + keepTail + 1) {
      for (const text of lines) rows.push({ kind: 'same', text });
      return;
    }
    for (const text of lines.slice(0, keepHead)) rows.push({ kind: 'same', text });
    rows.push({ kind: 'folded', lines: lines.length - keepHead - keepTail });
    for (const text of lines.slice(lines.length - keepTail)) rows.push({ kind: 'same', text });
  });
  return { rows, added, removed };
}
