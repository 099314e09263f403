// Whiteout conventions: AUFS names in tar streams (the OCI layer format), overlay
// char devices and xattrs on disk.
export const WHITEOUT_PREFIX = '.wh.';
/** Names under this prefix at the layer root are AUFS metadata, never applied. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

export const S_IFMT = 0o170000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
