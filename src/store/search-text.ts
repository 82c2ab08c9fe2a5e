// SQLite full-text rows of one wiki in terms of their own (./migrations/010_wiki_scale.ts). FTS5 keeps
// one list of rows per term for the whole table, and a search reads (and bm25 counts) the whole list
// of each of its terms, so a wiki's search paid for every other wiki holding the same words, even
// restricted to the wiki's row ids. Every word a wiki indexes is therefore stored behind the wiki's key
// (`bz` + `robot` → `bzrobot`), and its searches ask for keyed words: each wiki's words are terms no
// other wiki has. The key is made of consonants other than `y` and ends at the first `z`, so keyed
// words of two wikis never coincide, and the Porter stemmer, which looks only at a word's vowels and
// ending, stems a keyed word exactly as the word alone (its measure counts from the first vowel).
// Searches still bound themselves to the wiki's row ids as well, so a key can never reach another wiki.

/** What unicode61 reads as a word: runs of letters, marks and digits (everything else separates). */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const DIGITS = 'bcdfghjklmnpqrstvwx';
/** Each wiki's full-text row ids are a block of this size (./migrations/010_wiki_scale.ts). */
export const SEARCH_BLOCK = 4294967296;

/** The key of the wiki whose pages hold row ids in the block of `searchRowid`. */
export function searchKey(searchRowid: number): string {
  let block = Math.floor(searchRowid / SEARCH_BLOCK);
  let key = '';
  do {
    key = DIGITS[block % DIGITS.length] + key;
    block = Math.floor(block / DIGITS.length);
  } while (block > 0);
  return `${key}z`;
}

/** The text as indexed: every word behind the key. */
export const keyed = (key: string, text: string) => text.replace(WORD, (word) => key + word);

/** Index text back to the page's own words (snippets and paths of hits). */
export const unkeyed = (key: string, text: string) => text.replace(WORD, (word) => (word.startsWith(key) ? word.slice(key.length) : word));

/** User text → an FTS5 query of quoted keyed words (all must match): no operator or syntax error reaches FTS5. */
export function keyedQuery(key: string, query: string): string {
  return (query.match(WORD) ?? []).map((word) => `"${key}${word}"`).join(' ');
}
