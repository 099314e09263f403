// Docker's size units (github.com/docker/go-units), for the daemon's progress
// lines and the CLI's tables alike.

/** Docker's units.HumanSizeWithPrecision: decimal units, `precision` significant digits. */
export function humanSize(bytes: number, precision = 4): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(precision))}${units[i]}`;
}

/**
 * jsonmessage.JSONProgress.String() as dockerd fills the `progress` field of a
 * progress line: a 50-column bar and the byte counts.
 */
export function progressString(current: number, total: number): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return `${humanSize(current).padStart(8)}`;
  const done = Math.min(50, Math.trunc((current / total) * 100) >> 1);
  const bar = `[${'='.repeat(done)}>${' '.repeat(Math.max(0, 50 - done))}] `;
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}
