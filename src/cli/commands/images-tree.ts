// `images --tree`: docker 28's experimental view (cli/command/image/tree.go
// and internal/tui), byte for byte: each image with its names (longest
// first), its platforms' manifests beneath it, the "In Use" chip, column
// widths from the terminal's (80 off a terminal), colours only on a terminal
// except the header's, which docker colours always.
import type { ImageManifestSummary, ImageSummary } from '../../api/types';
import { humanSize } from '../../api/units';
import { shortId } from '../format';
import { INFO_HEADER, RESET } from '../note';

interface Details { id: string; diskUsage: string; contentSize: string; inUse: boolean }
interface TopImage { names: string[]; details: Details; children: SubImage[]; created: number }
interface SubImage { platform: string; available: boolean; details: Details }

/** Where the view goes: a terminal (colours, its width) or not (width 0: 80 columns, plain). */
export interface TreeOutput { terminal: boolean; width: number }

const TITLE = '\x1b[39m\x1b[1m';
const TOP_NAME = '\x1b[34m\x1b[1m';
const NORMAL = '\x1b[39m';
const FAINT = '\x1b[39m\x1b[2m';
const WARNING = '\x1b[93m';
const CHIP_IN_USE = { plain: 'U', fancy: `\x1b[38;5;0m\x1b[48;5;14m U ${RESET}` };
const CHIP_PLACEHOLDER = { plain: ' ', fancy: '   ' };
const COLUMN_SPACING = '   ';

/** aec's Apply; '' is tui.ColorNone. */
const paint = (color: string, s: string): string => (color ? `${color}${s}${RESET}` : s);
/** tui.Width: runes, escape sequences left out (names and platforms are ASCII). */
const width = (s: string): number => [...s.replace(/\x1b[^m]*m/g, '')].length;

/** tui.Ellipsis: at `length` runes or more, the first length-1 and "…". */
function ellipsis(s: string, length: number): string {
  const runes = [...s];
  return length > 0 && runes.length >= length ? `${runes.slice(0, length - 1).join('')}…` : s;
}

interface Column { title: string; width: number; align: 'left' | 'right'; value?: (d: Details) => string; plain?: boolean }

function cell(c: Column, color: string, s: string): string {
  const n = width(s);
  if (n > c.width) return paint(color, ellipsis(s, c.width));
  const pad = ' '.repeat(c.width - n);
  return c.align === 'right' ? pad + paint(color, s) : paint(color, s) + pad;
}

/** containerd's platforms.Format. */
function platformOf(m: ImageManifestSummary): string {
  const p = m.ImageData?.Platform;
  if (!p?.os) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** formatter.isDangling. */
function isDangling(img: ImageSummary): boolean {
  if (img.RepoTags.length === 0 && img.RepoDigests.length === 0) return true;
  return img.RepoTags.length === 1 && img.RepoTags[0] === '<none>:<none>' && img.RepoDigests.length === 1 && img.RepoDigests[0] === '<none>@<none>';
}

function topImages(images: ImageSummary[], all: boolean): { images: TopImage[]; spacing: boolean } {
  let spacing = false;
  const view: TopImage[] = [];
  for (const img of all ? images : images.filter((i) => !isDangling(i))) {
    const details: Details = { id: img.Id, diskUsage: humanSize(img.Size, 3), contentSize: '', inUse: img.Containers > 0 };
    let content = 0;
    const children: SubImage[] = [];
    for (const m of img.Manifests ?? []) {
      content += m.Size.Content;
      if (m.Kind !== 'image') continue;
      const inUse = (m.ImageData?.Containers ?? []).length > 0;
      if (inUse) details.inUse = true;
      const sub = { id: m.ID, diskUsage: humanSize(m.Size.Total, 3), contentSize: humanSize(m.Size.Content, 3), inUse };
      children.push({ platform: platformOf(m), available: m.Available, details: sub });
      spacing = true;
    }
    details.contentSize = humanSize(content, 3);
    view.push({ names: img.RepoTags, details, children, created: img.Created });
  }
  view.sort((a, b) => b.created - a.created);
  return { images: view, spacing };
}

/** adjustColumns: the name column takes what the others leave (columns that leave it under 12 go), no wider than its widest value. */
function fitColumns(total: number, columns: Column[], images: TopImage[]): Column[] {
  let nameWidth = total;
  let kept = columns;
  for (const [idx, c] of columns.entries()) {
    if (c.width === 0) continue;
    const d = c.width + (idx > 0 ? COLUMN_SPACING.length : 0);
    if (nameWidth - d < 12) {
      kept = columns.slice(0, idx);
      break;
    }
    nameWidth -= d;
  }
  // widestFirstColumnValue counts bytes: "└─ " is 7 of them.
  let widest = 'Image'.length;
  for (const img of images) {
    for (const name of img.names) widest = Math.max(widest, Buffer.byteLength(name));
    for (const sub of img.children) widest = Math.max(widest, Buffer.byteLength(sub.platform) + Buffer.byteLength('└─ '));
  }
  return [{ ...kept[0]!, width: Math.min(nameWidth, widest) }, ...kept.slice(1)];
}

function legend(out: TreeOutput, total: number): string {
  const text = `${out.terminal ? INFO_HEADER.fancy : INFO_HEADER.plain} ${out.terminal ? CHIP_IN_USE.fancy : CHIP_IN_USE.plain} In Use `;
  return ' '.repeat(Math.max(0, total - width(text))) + text;
}

/** The whole view, as docker prints it. */
export function renderTree(summaries: ImageSummary[], all: boolean, out: TreeOutput): string {
  const total = out.width === 0 ? 80 : Math.max(out.width, 20);
  const color = (c: string) => (out.terminal ? c : '');
  const view = topImages(summaries, all);
  const chips = view.images.some((i) => i.details.inUse || i.children.some((c) => c.details.inUse)) ? [CHIP_IN_USE] : [];
  const chipText = (chip: { plain: string; fancy: string }) => (out.terminal ? chip.fancy : chip.plain);
  const extraWidth = Math.max('Extra'.length, chips.reduce((n, c) => n + width(chipText(c)), 0));
  const columns = fitColumns(total, [
    { title: 'Image', width: 0, align: 'left' },
    { title: 'ID', width: 12, align: 'left', value: (d) => shortId(d.id) },
    { title: 'Disk usage', width: 10, align: 'right', value: (d) => d.diskUsage },
    { title: 'Content size', width: 12, align: 'right', value: (d) => d.contentSize },
    { title: 'Extra', width: extraWidth, align: 'left', plain: true, value: (d) => chips.map((c) => chipText(d.inUse ? c : CHIP_PLACEHOLDER)).join('') },
  ], view.images);
  const name = columns[0]!;
  const details = (clr: string, d: Details) =>
    columns.filter((c) => c.value).map((c) => COLUMN_SPACING + cell(c, c.plain ? '' : clr, c.value!(d))).join('');

  let s = `${paint(color(WARNING), "WARNING: This is an experimental feature. The output may change and shouldn't be depended on.")}\n`;
  s += `${legend(out, total)}\n\n`;
  s += `${columns.map((c) => cell(c, TITLE, c.title.toUpperCase())).join(COLUMN_SPACING)}\n`;
  for (const img of view.images) {
    if (img.names.length === 0) s += cell(name, color(FAINT), '<untagged>');
    // Longest first (a stable sort, as Go's for these few); only the last shares its line with the details.
    const names = [...img.names].sort((a, b) => b.length - a.length);
    names.forEach((n, idx) => {
      s += idx < names.length - 1 ? `${paint(color(TOP_NAME), ellipsis(n, out.width))}\n` : cell(name, color(TOP_NAME), n);
    });
    s += details(color(NORMAL), img.details);
    if (img.children.length > 0 || view.spacing) s += '\n';
    img.children.forEach((sub, idx) => {
      const clr = color(sub.available ? NORMAL : FAINT);
      s += cell(name, clr, `${idx !== img.children.length - 1 ? '├─' : '└─'} ${sub.platform}`) + details(clr, sub.details) + '\n';
    });
    s += '\n';
  }
  return s;
}
