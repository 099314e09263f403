// ChainIDs per the OCI image spec: ChainID(L0) = DiffID(L0),
// ChainID(L0|…|Ln) = sha256(ChainID(L0|…|Ln-1) + " " + DiffID(Ln)).
import { sha256, type Digest } from '../../api/digest';

export function chainId(parent: Digest | null, diffId: Digest): Digest {
  return parent === null ? diffId : sha256(`${parent} ${diffId}`);
}

/** ChainIDs of every prefix of diffIds. */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  let parent: Digest | null = null;
  for (const d of diffIds) {
    parent = chainId(parent, d);
    out.push(parent);
  }
  return out;
}
