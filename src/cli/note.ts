// docker's informational note (internal/tui): " Info -> " and the text, its
// later lines indented under the first; on a terminal the header is drawn in
// colour, the lines in italics and `--platform` in bold.
export const RESET = '\x1b[0m';
/** tui.InfoHeader: plain off a terminal, coloured on one (both 9 columns wide). */
export const INFO_HEADER = { plain: ' Info -> ', fancy: `\x1b[1m\x1b[106m\x1b[30mi${RESET}${RESET} \x1b[96mInfo → ${RESET}${RESET}` };

/** tui.Output.PrintNote's text (a newline first, one after every line, the last one empty when `text` ends with one). */
export function note(text: string, terminal: boolean): string {
  const header = terminal ? INFO_HEADER.fancy : INFO_HEADER.plain;
  const body = terminal ? text.replaceAll('--platform', `\x1b[1m--platform${RESET}`) : text;
  const lines = body.split('\n').map((l, i) => `${i > 0 ? ' '.repeat(9) : ''}${terminal ? `\x1b[3m${l}${RESET}` : l}\n`);
  return `\n${header}${lines.join('')}`;
}
