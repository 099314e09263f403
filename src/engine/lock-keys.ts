// Lock keys: jobs sharing a key never interleave (src/engine/locks.ts). One
// helper per kind of object, so every job names the same object the same way.

/** A container, by its full ID (also the key docker cp's archive jobs take). */
export const containerLock = (id: string): string => id;

/** A container name being taken (create, rename), as the client gave it. */
export const nameLock = (name: string): string => `name:${name}`;

/** An image reference or repository being written (tag, delete, import). */
export const imageLock = (ref: string): string => `image:${ref}`;

/** Every image at once (prune). */
export const ALL_IMAGES_LOCK = imageLock('*');

/** An exec instance. */
export const execLock = (id: string): string => `exec:${id}`;

/** A network, by its full ID. */
export const networkLock = (id: string): string => `network:${id}`;

/** A network name being taken (create). */
export const networkNameLock = (name: string): string => `network-name:${name}`;

/** Every network at once (prune). */
export const ALL_NETWORKS_LOCK = networkLock('*');

/** A volume, by name (create, remove). */
export const volumeLock = (name: string): string => `volume:${name}`;

/** Every volume at once (prune). */
export const ALL_VOLUMES_LOCK = volumeLock('*');
