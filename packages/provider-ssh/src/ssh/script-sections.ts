/**
 * One command that reads several things prints each under a marker line; these build the marker
 * and split the answer back into its sections. Pure.
 */
import { type RemoteCommand, sh } from './remote-command.js';

/** Prints the line that starts section `name` (after a newline, so it starts a line whatever came before). */
export function sectionStart(marker: string, name: string): RemoteCommand {
  return sh`printf '\\n%s\\n' ${`${marker}${name}`}`;
}

/** The sections of `stdout`, by name, each trimmed; text before the first marker is dropped. */
export function parseSections(stdout: string, marker: string): Map<string, string> {
  const sections = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (name !== undefined) sections.set(name, lines.join('\n').trim());
  };
  for (const line of stdout.split('\n')) {
    if (line.startsWith(marker)) {
      flush();
      name = line.slice(marker.length);
      lines = [];
    } else lines.push(line);
  }
  flush();
  return sections;
}
