import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Raw text of a channel fixture, exactly as a platform would send it. */
export function fixture(path: string): string {
  return readFileSync(fileURLToPath(new URL(`../../fixtures/channels/${path}`, import.meta.url)), 'utf8');
}
