// Large property values of the embedded backend: a value is a blob of 64 KiB chunk rows (blob_chunks keyed by
// (blob, seq)), so a 25 MB attachment is read and written a range at a time (better-sqlite3 has no incremental
// blob I/O). Blobs are immutable once committed: a stream writes a new staged blob (state 0) that a message save
// marks stored (state 1); a staged blob nobody saved is dropped on discard or at the next open.
import type Database from 'better-sqlite3';
import { SEC, StoreError } from '../../errors.js';

export const CHUNK = 64 * 1024;

export const BLOB_SCHEMA = `
CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY AUTOINCREMENT, size INTEGER NOT NULL, state INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS blob_chunks (blob INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (blob, seq));
CREATE TABLE IF NOT EXISTS message_content (mid INTEGER PRIMARY KEY, data TEXT NOT NULL);
`;

export class BlobStore {
  private readonly st;
  constructor(readonly db: Database.Database) {
    db.exec(BLOB_SCHEMA);
    this.st = {
      ins: db.prepare('INSERT INTO blobs (size, state) VALUES (?, 0)'),
      size: db.prepare('SELECT size FROM blobs WHERE id = ?'),
      setSize: db.prepare('UPDATE blobs SET size = ? WHERE id = ?'),
      chunk: db.prepare('SELECT data FROM blob_chunks WHERE blob = ? AND seq = ?'),
      range: db.prepare('SELECT seq, data FROM blob_chunks WHERE blob = ? AND seq >= ? AND seq <= ? ORDER BY seq'),
      put: db.prepare('INSERT OR REPLACE INTO blob_chunks (blob, seq, data) VALUES (?, ?, ?)'),
      dropAbove: db.prepare('DELETE FROM blob_chunks WHERE blob = ? AND seq > ?'),
      copy: db.prepare('INSERT INTO blob_chunks (blob, seq, data) SELECT ?, seq, data FROM blob_chunks WHERE blob = ?'),
      del: db.prepare('DELETE FROM blobs WHERE id = ?'),
      delChunks: db.prepare('DELETE FROM blob_chunks WHERE blob = ?'),
      commit: db.prepare('UPDATE blobs SET state = 1 WHERE id = ?'),
    };
  }

  /** Drops staged blobs left by a process that stopped before saving. */
  sweep(): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM blob_chunks WHERE blob IN (SELECT id FROM blobs WHERE state = 0)').run();
      this.db.prepare('DELETE FROM blobs WHERE state = 0').run();
    })();
  }

  /** A new staged blob, empty or holding a copy of `from` (a blob id) or of `bytes`. */
  create(from?: number | Buffer): number {
    return this.db.transaction(() => {
      const id = Number(this.st.ins.run(0).lastInsertRowid);
      if (typeof from === 'number') {
        this.st.copy.run(id, from);
        this.st.setSize.run(this.size(from), id);
      } else if (from && from.length > 0) {
        for (let o = 0; o < from.length; o += CHUNK) this.st.put.run(id, o / CHUNK, from.subarray(o, o + CHUNK));
        this.st.setSize.run(from.length, id);
      }
      return id;
    })();
  }

  size(id: number): number {
    const r = this.st.size.get(id) as { size: number } | undefined;
    if (!r) throw new StoreError('OC_STORE_BLOB_MISSING', SEC.NotFound, `blob ${id} missing`);
    return r.size;
  }

  read(id: number, offset: number, length: number): Buffer {
    const size = this.size(id);
    const end = Math.min(size, offset + Math.max(0, length));
    if (offset >= end) return Buffer.alloc(0);
    const out = Buffer.alloc(end - offset);
    const first = Math.floor(offset / CHUNK);
    const last = Math.floor((end - 1) / CHUNK);
    for (const r of this.st.range.all(id, first, last) as { seq: number; data: Buffer }[]) {
      const base = r.seq * CHUNK;
      const from = Math.max(offset, base);
      const to = Math.min(end, base + r.data.length);
      if (to > from) r.data.copy(out, from - offset, from - base, to - base);
    }
    return out; // chunks never written read as zeros (a gap)
  }

  /** Writes `data` at `offset` (read-modify-write of the touched chunks), in one transaction. */
  write(id: number, offset: number, data: Uint8Array): void {
    this.db.transaction(() => {
      const size = this.size(id);
      let pos = 0;
      while (pos < data.length) {
        const at = offset + pos;
        const seq = Math.floor(at / CHUNK);
        const base = seq * CHUNK;
        const n = Math.min(data.length - pos, base + CHUNK - at);
        const old = (this.st.chunk.get(id, seq) as { data: Buffer } | undefined)?.data;
        const len = Math.max(old?.length ?? 0, at - base + n);
        const c = Buffer.alloc(len);
        if (old) old.copy(c);
        c.set(data.subarray(pos, pos + n), at - base);
        this.st.put.run(id, seq, c);
        pos += n;
      }
      if (offset + data.length > size) this.st.setSize.run(offset + data.length, id);
    })();
  }

  setSize(id: number, size: number): void {
    this.db.transaction(() => {
      if (size === 0) this.st.delChunks.run(id);
      else {
        const last = Math.floor((size - 1) / CHUNK);
        this.st.dropAbove.run(id, last);
        const c = (this.st.chunk.get(id, last) as { data: Buffer } | undefined)?.data;
        const keep = size - last * CHUNK;
        if (c && c.length > keep) this.st.put.run(id, last, c.subarray(0, keep));
      }
      this.st.setSize.run(size, id);
    })();
  }

  /** Must run inside the caller's transaction. */
  drop(id: number): void {
    this.st.delChunks.run(id);
    this.st.del.run(id);
  }

  /** Must run inside the caller's transaction. */
  markStored(id: number): void {
    this.st.commit.run(id);
  }
}
