// The bench's result table: one row per metric, tsdocker next to the peer.
export interface Row {
  metric: string;
  ours: number | undefined;
  peer: number | undefined;
  unit: string;
  /** Whether a smaller figure is better (times, memory) or a larger one (rates). */
  lowerIsBetter: boolean;
  goal?: string;
}

export function ratio(row: Row): string {
  if (row.ours === undefined || row.peer === undefined || row.ours === 0 || row.peer === 0) return '–';
  const r = row.lowerIsBetter ? row.peer / row.ours : row.ours / row.peer;
  return `${r.toFixed(2)}× ${r >= 1 ? 'better' : 'worse'}`;
}

export function fmt(n: number | undefined): string {
  if (n === undefined) return 'n/a';
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}
