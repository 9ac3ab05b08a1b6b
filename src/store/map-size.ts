/**
 * The address space every LMDB environment maps at open. lmdb-js otherwise starts at 128 KB
 * and doubles the map as the file grows, keeping each old map for readers that may still use
 * it: the pages a process touched through old maps stay in its RSS, counted again for each
 * map (measured: 10 maps of a server's document store, 45 MB of RSS in the old ones). Mapping
 * the file once, large, costs address space only: LMDB does not grow the file to the map
 * (no MDB_WRITEMAP), and an environment that outgrows it is still resized by lmdb-js.
 */
export const MAP_SIZE_BYTES = 16 * 2 ** 30;
