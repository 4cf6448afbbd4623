import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { PassThrough, Readable, Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { UnreadableFileError } from './file-errors.js';

/** One file inside a zip archive, as its central directory declares it. */
export interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export interface ZipLimits {
  /** Most bytes all entries may inflate to together (IMPORT_MAX_UNCOMPRESSED_BYTES). */
  maxUncompressedBytes: number;
  /** Highest uncompressed:compressed ratio of one entry (IMPORT_MAX_COMPRESSION_RATIO). */
  maxRatio: number;
}

/** The archive inflates to more than the limits allow: a zip bomb, or a register too big to import. */
export class ZipLimitError extends UnreadableFileError {
  constructor(
    message: string,
    readonly kind: 'total' | 'ratio',
  ) {
    super(message);
  }
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** An XLSX holds a few dozen entries; more is not a spreadsheet worth parsing. */
const MAX_ENTRIES = 10_000;
/** Entries this small are harmless whatever their ratio (a blank styles part compresses very well). */
const RATIO_FLOOR_BYTES = 1024 * 1024;

const damaged = (): UnreadableFileError =>
  new UnreadableFileError('The XLSX file is truncated or damaged');

function u64(buffer: Buffer, at: number): number {
  const value = buffer.readBigUInt64LE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw damaged();
  return Number(value);
}

async function readAt(
  handle: Awaited<ReturnType<typeof open>>,
  position: number,
  length: number,
): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  if (bytesRead !== length) throw damaged();
  return buffer;
}

/**
 * The entries of a zip archive from its central directory (ZIP64 included), without inflating anything.
 * The sizes are what the archive declares: openZipEntry() holds every entry to them while inflating.
 */
export async function readZipDirectory(file: string): Promise<ZipEntry[]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, 65_557);
    const tail = await readAt(handle, size - tailLength, tailLength);
    let end = -1;
    for (let i = tail.length - 22; i >= 0; i -= 1) {
      if (tail.readUInt32LE(i) === EOCD) {
        end = i;
        break;
      }
    }
    if (end < 0) throw damaged();
    let count = tail.readUInt16LE(end + 10);
    let directorySize = tail.readUInt32LE(end + 12);
    let directoryOffset = tail.readUInt32LE(end + 16);
    const endOffset = size - tailLength + end;
    if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
      if (endOffset < 20) throw damaged();
      const locator = await readAt(handle, endOffset - 20, 20);
      if (locator.readUInt32LE(0) !== ZIP64_LOCATOR) throw damaged();
      const zip64 = await readAt(handle, u64(locator, 8), 56);
      if (zip64.readUInt32LE(0) !== ZIP64_EOCD) throw damaged();
      count = u64(zip64, 32);
      directorySize = u64(zip64, 40);
      directoryOffset = u64(zip64, 48);
    }
    if (count > MAX_ENTRIES) {
      throw new UnreadableFileError(`The XLSX file holds more than ${MAX_ENTRIES} parts`);
    }
    if (directoryOffset + directorySize > size) throw damaged();
    const directory = await readAt(handle, directoryOffset, directorySize);
    const entries: ZipEntry[] = [];
    let at = 0;
    for (let i = 0; i < count; i += 1) {
      if (at + 46 > directory.length || directory.readUInt32LE(at) !== CENTRAL) throw damaged();
      const nameLength = directory.readUInt16LE(at + 28);
      const extraLength = directory.readUInt16LE(at + 30);
      const commentLength = directory.readUInt16LE(at + 32);
      if (at + 46 + nameLength + extraLength > directory.length) throw damaged();
      const entry: ZipEntry = {
        name: directory.toString('utf8', at + 46, at + 46 + nameLength),
        flags: directory.readUInt16LE(at + 8),
        method: directory.readUInt16LE(at + 10),
        compressedSize: directory.readUInt32LE(at + 20),
        uncompressedSize: directory.readUInt32LE(at + 24),
        localHeaderOffset: directory.readUInt32LE(at + 42),
      };
      const extra = directory.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
      applyZip64Extra(entry, extra);
      entries.push(entry);
      at += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  } finally {
    await handle.close();
  }
}

/** ZIP64 extended information (header 0x0001): the 64-bit values of the fields set to 0xFFFFFFFF, in order. */
function applyZip64Extra(entry: ZipEntry, extra: Buffer): void {
  let at = 0;
  while (at + 4 <= extra.length) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      let field = at + 4;
      const next = (): number => {
        if (field + 8 > at + 4 + length || field + 8 > extra.length) throw damaged();
        const value = u64(extra, field);
        field += 8;
        return value;
      };
      if (entry.uncompressedSize === 0xffffffff) entry.uncompressedSize = next();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
      if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next();
      return;
    }
    at += 4 + length;
  }
}

const megabytes = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MB`;

/** Refuses an archive whose declared sizes exceed the limits, before a byte of it is inflated. */
export function checkZipLimits(entries: ZipEntry[], limits: ZipLimits): void {
  let total = 0;
  for (const entry of entries) {
    total += entry.uncompressedSize;
    if (total > limits.maxUncompressedBytes) {
      throw new ZipLimitError(
        `The spreadsheet unpacks to more than ${megabytes(limits.maxUncompressedBytes)}; split it or save it as CSV`,
        'total',
      );
    }
    if (
      entry.uncompressedSize > RATIO_FLOOR_BYTES &&
      entry.uncompressedSize > limits.maxRatio * Math.max(entry.compressedSize, 1)
    ) {
      throw new ZipLimitError(
        `The spreadsheet part ${entry.name} is compressed more than ${limits.maxRatio}:1, which no register is`,
        'ratio',
      );
    }
  }
}

/** Counts the bytes inflated from one archive; past its cap, or past what an entry declared, it stops. */
export class InflateBudget {
  private used = 0;

  constructor(private readonly max: number) {}

  meter(entry: ZipEntry): Transform {
    let inEntry = 0;
    return new Transform({
      transform: (chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void => {
        inEntry += chunk.length;
        this.used += chunk.length;
        if (inEntry > entry.uncompressedSize) {
          done(
            new ZipLimitError(
              `The spreadsheet part ${entry.name} is larger than the archive declares`,
              'ratio',
            ),
          );
        } else if (this.used > this.max) {
          done(
            new ZipLimitError(
              `The spreadsheet unpacks to more than ${megabytes(this.max)}; split it or save it as CSV`,
              'total',
            ),
          );
        } else done(null, chunk);
      },
    });
  }
}

/**
 * The inflated content of one entry, streamed straight from the archive on disk: nothing is written anywhere,
 * and the budget stops the stream as soon as it inflates more than allowed.
 */
export async function openZipEntry(
  file: string,
  entry: ZipEntry,
  budget: InflateBudget,
): Promise<Readable> {
  if ((entry.flags & 0x1) !== 0) {
    throw new UnreadableFileError('The XLSX file is encrypted; save it without a password');
  }
  if (entry.method !== 0 && entry.method !== 8) {
    throw new UnreadableFileError(`The XLSX part ${entry.name} uses an unsupported compression`);
  }
  const handle = await open(file, 'r');
  let start: number;
  try {
    const local = await readAt(handle, entry.localHeaderOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL) throw damaged();
    start = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  } finally {
    await handle.close();
  }
  const out = new PassThrough();
  if (entry.compressedSize === 0) {
    out.end();
    return out;
  }
  const raw = createReadStream(file, { start, end: start + entry.compressedSize - 1 });
  const stages: (Readable | Transform)[] = [raw];
  if (entry.method === 8) stages.push(createInflateRaw());
  stages.push(budget.meter(entry));
  pipeline([...stages, out]).catch((error: unknown) => {
    out.destroy(error instanceof Error ? error : damaged());
  });
  return out;
}
