// EMSMDB wire pieces below the ROP layer (MS-OXCRPC): LZ77 payload compression, RPC_HEADER_EXT extended buffers and
// auxiliary blocks. The interface itself (opnums, handlers) builds on these.
export * from './errors.js';
export * from './lz77.js';
export * from './extbuf.js';
export * from './aux.js';
