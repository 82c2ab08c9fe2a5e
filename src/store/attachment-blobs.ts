// Where attachment bytes live. The interface is all the rest of the code sees, so an object store can
// take the database's place: a blob is written once under a fresh key, read back in order, and removed
// when nothing refers to it. The database implementation keeps fixed-size chunks, one row each, so a
// 10 MB file is never one statement's parameter or one row's value (issue 12).
import { randomUUID } from 'node:crypto';
import type { Sql } from './sql.ts';

export interface BlobStore {
  /** Stores the bytes in order under a new key. A failure (the source's included) leaves nothing behind. */
  put(source: AsyncIterable<Uint8Array>): Promise<{ key: string; size: number }>;
  /** The bytes, a chunk at a time; nothing for an unknown key. */
  read(key: string): AsyncIterable<Buffer>;
  remove(key: string): Promise<void>;
}

/** 256 KiB: few rows per file, yet small enough that a read holds only one chunk at a time. */
export const BLOB_CHUNK_BYTES = 256 * 1024;

/** Regroups any sequence of byte arrays into chunks of exactly `size` bytes (the last may be shorter). */
export async function* fixedChunks(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of source) {
    let rest = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (pendingBytes + rest.length >= size) {
      const take = size - pendingBytes;
      pending.push(rest.subarray(0, take));
      yield Buffer.concat(pending, size);
      pending = [];
      pendingBytes = 0;
      rest = rest.subarray(take);
    }
    if (rest.length > 0) {
      pending.push(rest);
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

/**
 * Chunks in `attachment_chunks`. Each chunk is its own statement, not one long transaction: on SQLite
 * a transaction holds the one connection, and the source may be slow. Chunks under a key that no
 * attachment revision names are invisible; a put that fails removes its own.
 */
export function databaseBlobStore(sql: Sql): BlobStore {
  const remove = async (key: string) => {
    await sql.run('delete from attachment_chunks where blob_key = ?', [key]);
  };
  return {
    async put(source) {
      const key = randomUUID();
      let size = 0;
      let seq = 0;
      try {
        for await (const chunk of fixedChunks(source, BLOB_CHUNK_BYTES)) {
          await sql.run('insert into attachment_chunks (blob_key, seq, data) values (?, ?, ?)', [key, seq++, chunk]);
          size += chunk.length;
        }
      } catch (error) {
        await remove(key);
        throw error;
      }
      return { key, size };
    },
    async *read(key) {
      for (let seq = 0; ; seq++) {
        const row = await sql.one<{ data: Buffer }>('select data from attachment_chunks where blob_key = ? and seq = ?', [key, seq]);
        if (!row) return;
        yield row.data;
      }
    },
    remove,
  };
}
