/**
 * A log file that rotates by size: when the next line would take `file` past `maxBytes`, it is
 * renamed `file.1` (older ones shift to `.2`, … up to `keep`, the oldest deleted) and a new file
 * begins. Writes are synchronous appends of whole lines, so a crash never leaves half a line and
 * a line is never split across two files.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';

export interface RotatingFileOptions {
  readonly file: string;
  /** Default 10 MiB. */
  readonly maxBytes?: number;
  /** Rotated files kept beside the current one. Default 5. */
  readonly keep?: number;
}

export class RotatingFileSink {
  readonly #file: string;
  readonly #maxBytes: number;
  readonly #keep: number;
  #fd: number | undefined;
  #size = 0;

  constructor({ file, maxBytes = 10 * 1024 * 1024, keep = 5 }: RotatingFileOptions) {
    this.#file = path.resolve(file);
    this.#maxBytes = maxBytes;
    this.#keep = keep;
    mkdirSync(path.dirname(this.#file), { recursive: true });
    this.#open();
  }

  write(chunk: string): boolean {
    const bytes = Buffer.byteLength(chunk);
    if (this.#size > 0 && this.#size + bytes > this.#maxBytes) this.#rotate();
    if (this.#fd === undefined) this.#open();
    writeSync(this.#fd as number, chunk);
    this.#size += bytes;
    return true;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #open(): void {
    this.#fd = openSync(this.#file, 'a');
    this.#size = fstatSync(this.#fd).size;
  }

  #rotate(): void {
    this.close();
    rmSync(`${this.#file}.${this.#keep}`, { force: true });
    for (let i = this.#keep - 1; i >= 1; i--) {
      const from = `${this.#file}.${i}`;
      if (existsSync(from)) renameSync(from, `${this.#file}.${i + 1}`);
    }
    if (this.#keep > 0) renameSync(this.#file, `${this.#file}.1`);
    else rmSync(this.#file, { force: true });
    this.#open();
  }
}
