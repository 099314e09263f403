// The daemon's SQLite schema, as ordered migrations. PRAGMA user_version holds
// the number of migrations applied; each runs once, in one transaction with the
// version bump, so a crash leaves the database at one version or the next.
//
// Tables
//   meta(key, value)            daemon-wide facts: the daemon ID, …
//
//   Image graph (src/graph/, migration 'graph'):
//   layers(chain_id, diff_id, parent, size, tar_size, blob_digest, blob_media_type, blob_size, created_at)
//                               one row per unpacked layer, <data-root>/layers/<chain hex>/diff;
//                               parent → layers.chain_id; blob_digest names the layer tar as
//                               received (maybe compressed) in the content store
//   layer_refs(chain_id, holder) who needs a layer: 'image:<id>' (its top layer), 'layer:<chain>'
//                               (a child), 'container:<id>', 'lease:<uuid>' (an operation in
//                               flight; all dropped at open). A layer without rows is removed.
//   images(id, parent, top_layer, created, size, last_tag_time, created_at)
//                               id = sha256 of the config JSON, held in the content store;
//                               top_layer → layers.chain_id (NULL for an image with no layers)
//   image_refs(ref, image_id, created_at)
//                               full normalized references ('docker.io/library/busybox:latest',
//                               '…@sha256:…') → images.id
//
//   Content references (src/graph/content/refs.ts, migration 'content-refs'):
//   content_refs(digest, holder, media_type)
//                               blobs of the content store kept by reference besides layer tars
//                               (layers.blob_digest) and configs (images.id): an image's
//                               manifests and indexes, held as 'image:<id>'. A blob nothing
//                               references is collected at open.
//
//   Containers (src/container/, migration 'containers'):
//   containers(id, name, image_id, created_at, record)
//                               one row per container; name is Docker's "/name" (unique);
//                               record is the JSON of ContainerRecord (config, host config,
//                               state, restart count); its layer is held as 'container:<id>'
//
//   Events (src/engine/event-store.ts, migration 'events'):
//   events(seq, time_nano, message)
//                               the bounded ring behind GET /events?since=: seq orders them
//                               (rowid, increasing), message is the EventMessage JSON as
//                               published; rows beyond the newest 10000 are deleted as
//                               new ones are written
//
//   Networks (src/network/, migration 'networks'):
//   networks(id, name, driver, created_at, record)
//                               one row per network (the predefined bridge, host, none too);
//                               name unique; record is the JSON of NetworkRecord (IPAM pools,
//                               options, labels, the host interface: bridge or macvlan parent)
//   endpoints(id, network_id, container_id, seq, record)
//                               a container on a network, from its create (or connect) to its
//                               removal (or disconnect); seq orders a container's interfaces
//                               (eth0, eth1, …); record is the JSON of EndpointRecord
//                               (addresses, MAC, aliases, the interface name once attached)
//   ip_leases(network_id, address, endpoint_id)
//                               every address handed out ('gateway' holds the gateway's);
//                               released with the endpoint
//   ipam_cursors(network_id, subnet, last)
//                               the last address handed out per subnet: the next lease starts
//                               after it (wrapping), so an address is not reused soon
//   Volumes (src/volume/, migration 'volumes'):
//   volumes(name, driver, created_at, labels, options)
//                               one row per volume; labels and options are JSON objects;
//                               anonymous volumes carry Docker's label com.docker.volume.anonymous;
//                               a local volume's files are <data-root>/volumes/<name>/_data
//   volume_refs(name, container_id)
//                               which containers use a volume (the create's transaction adds
//                               them, the removal's drops them): a volume with rows is in use
//   volume_mounts(name, container_id)
//                               the volume is mounted for that container (its start's `volumes`
//                               step ran and was not undone): the mount counts restore re-reads
//
// Later migrations append here (never edit an applied one): each issue that
// needs tables adds a migration at the end and documents its tables above.

export interface Migration {
  /** What the migration does, for the start-up log. */
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'meta',
    sql: `CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
          ) STRICT;`,
  },
  {
    name: 'graph',
    sql: `CREATE TABLE layers (
            chain_id        TEXT PRIMARY KEY,
            diff_id         TEXT NOT NULL,
            parent          TEXT REFERENCES layers(chain_id),
            size            INTEGER NOT NULL,
            tar_size        INTEGER NOT NULL,
            blob_digest     TEXT NOT NULL,
            blob_media_type TEXT NOT NULL,
            blob_size       INTEGER NOT NULL,
            created_at      INTEGER NOT NULL
          ) STRICT;
          CREATE INDEX layers_blob ON layers(blob_digest);
          CREATE TABLE layer_refs (
            chain_id TEXT NOT NULL REFERENCES layers(chain_id),
            holder   TEXT NOT NULL,
            PRIMARY KEY (chain_id, holder)
          ) STRICT;
          CREATE INDEX layer_refs_holder ON layer_refs(holder);
          CREATE TABLE images (
            id            TEXT PRIMARY KEY,
            parent        TEXT,
            top_layer     TEXT REFERENCES layers(chain_id),
            created       INTEGER NOT NULL,
            size          INTEGER NOT NULL,
            last_tag_time TEXT,
            created_at    INTEGER NOT NULL
          ) STRICT;
          CREATE INDEX images_parent ON images(parent);
          CREATE TABLE image_refs (
            ref        TEXT PRIMARY KEY,
            image_id   TEXT NOT NULL REFERENCES images(id),
            created_at INTEGER NOT NULL
          ) STRICT;
          CREATE INDEX image_refs_image ON image_refs(image_id);`,
  },
  {
    name: 'containers',
    sql: `CREATE TABLE containers (
            id         TEXT PRIMARY KEY,
            name       TEXT NOT NULL UNIQUE,
            image_id   TEXT NOT NULL,
            created_at TEXT NOT NULL,
            record     TEXT NOT NULL
          ) STRICT;
          CREATE INDEX containers_image ON containers(image_id);`,
  },
  {
    name: 'events',
    sql: `CREATE TABLE events (
            seq       INTEGER PRIMARY KEY,
            time_nano INTEGER NOT NULL,
            message   TEXT NOT NULL
          ) STRICT;`,
  },
  {
    name: 'content-refs',
    sql: `CREATE TABLE content_refs (
            digest     TEXT NOT NULL,
            holder     TEXT NOT NULL,
            media_type TEXT NOT NULL,
            PRIMARY KEY (digest, holder)
          ) STRICT;
          CREATE INDEX content_refs_holder ON content_refs(holder);`,
  },
  {
    name: 'networks',
    sql: `CREATE TABLE networks (
            id         TEXT PRIMARY KEY,
            name       TEXT NOT NULL UNIQUE,
            driver     TEXT NOT NULL,
            created_at TEXT NOT NULL,
            record     TEXT NOT NULL
          ) STRICT;
          CREATE TABLE endpoints (
            id           TEXT PRIMARY KEY,
            network_id   TEXT NOT NULL REFERENCES networks(id),
            container_id TEXT NOT NULL,
            seq          INTEGER NOT NULL,
            record       TEXT NOT NULL,
            UNIQUE (network_id, container_id)
          ) STRICT;
          CREATE INDEX endpoints_container ON endpoints(container_id);
          CREATE TABLE ip_leases (
            network_id  TEXT NOT NULL REFERENCES networks(id),
            address     TEXT NOT NULL,
            endpoint_id TEXT NOT NULL,
            PRIMARY KEY (network_id, address)
          ) STRICT;
          CREATE INDEX ip_leases_endpoint ON ip_leases(endpoint_id);
          CREATE TABLE ipam_cursors (
            network_id TEXT NOT NULL REFERENCES networks(id),
            subnet     TEXT NOT NULL,
            last       TEXT NOT NULL,
            PRIMARY KEY (network_id, subnet)
          ) STRICT;`,
  },
  {
    name: 'volumes',
    sql: `CREATE TABLE volumes (
            name       TEXT PRIMARY KEY,
            driver     TEXT NOT NULL,
            created_at TEXT NOT NULL,
            labels     TEXT NOT NULL,
            options    TEXT NOT NULL
          ) STRICT;
          CREATE TABLE volume_refs (
            name         TEXT NOT NULL REFERENCES volumes(name),
            container_id TEXT NOT NULL,
            PRIMARY KEY (name, container_id)
          ) STRICT;
          CREATE INDEX volume_refs_container ON volume_refs(container_id);
          CREATE TABLE volume_mounts (
            name         TEXT NOT NULL,
            container_id TEXT NOT NULL,
            PRIMARY KEY (name, container_id)
          ) STRICT;`,
  },
];
