import fs from 'node:fs';
import path from 'node:path';

/**
 * The standalone server's data directory holds the SQLite database (configuration, encrypted
 * secrets, login transactions, the audit trail), the key that decrypts the secrets and a
 * generated admin token: nobody but the server's own user may read or list any of it, whatever
 * the umask. The directory is 0700 and every file in it 0600.
 */

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the directory (and parents) if need be, and makes it 0700 either way. */
export function preparePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  fs.chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * Makes sure `file` exists with mode 0600 before another library (SQLite) opens it: SQLite
 * creates a database with the process's umask (often 0644), and gives its -wal and -shm files
 * the mode of the database file, so a 0600 database keeps those 0600 too.
 */
export function ensurePrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  fs.chmodSync(file, PRIVATE_FILE_MODE);
}

/** Writes `content` to `file` (replacing it) readable by the owner only. */
export function writePrivateFile(file: string, content: string): void {
  // Created (or truncated) 0600 before the content goes in, so it is never readable by others.
  ensurePrivateFile(file);
  fs.writeFileSync(file, content, { mode: PRIVATE_FILE_MODE });
}

/** Where a generated admin token is kept for the operator (besides the one line on stdout). */
export function adminTokenFile(dataDir: string): string {
  return path.join(dataDir, 'admin-token');
}
