import { existsSync } from 'node:fs';
import path from 'node:path';

let root: string | undefined;

/** The folder holding the project's package.json and libs/, found from this file in both src and dist. */
export function projectRoot(): string {
  if (root) return root;
  let dir = import.meta.dirname;
  while (!(existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'libs')))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('Project root (package.json) not found');
    dir = parent;
  }
  root = dir;
  return dir;
}

export function projectPath(...segments: string[]): string {
  return path.join(projectRoot(), ...segments);
}
