import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { HttpStatus } from '@nestjs/common';
import { AppException, ErrorCode } from '@app/core';
import {
  FileFormat,
  readRows,
  sniffFormat,
  UnreadableFileError,
  checkZipLimits,
  readZipDirectory,
  ZipLimitError,
  ZipLimits,
} from '@app/files';
import { HeaderMapping, mapHeaders } from './import-columns.js';

/** What an accepted upload is: its format, its header's columns and its hash (to find the same file again). */
export interface InspectedUpload {
  format: FileFormat;
  mapping: HeaderMapping;
  sha256: string;
}

/**
 * Checks an uploaded register before it becomes a job, answering each problem as the uploader's 4xx: a CSV or an
 * XLSX (whose archive would not unpack past the limits), with a header row that matches the template.
 */
export async function inspectUpload(
  file: string,
  size: number,
  limits: ZipLimits,
): Promise<InspectedUpload> {
  const format = await sniffFormat(file, size);
  if (format === null) {
    throw new AppException(
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      ErrorCode.UnsupportedMediaType,
      'The file is neither a CSV nor an XLSX spreadsheet',
    );
  }
  if (format === 'truncated') {
    throw AppException.badRequest('The XLSX file is truncated or damaged', 'file');
  }
  if (format === FileFormat.Xlsx) await checkArchive(file, limits);
  const mapping = await readHeader(file, format, limits);
  return { format, mapping, sha256: await hashFile(file) };
}

async function readHeader(
  file: string,
  format: FileFormat,
  limits: ZipLimits,
): Promise<HeaderMapping> {
  const rows = readRows(file, format, limits);
  let first;
  try {
    first = await rows.next();
  } catch (error) {
    if (error instanceof ZipLimitError) throw zipLimitProblem(error);
    throw AppException.badRequest(
      error instanceof UnreadableFileError ? error.message : 'The file could not be read',
      'file',
    );
  } finally {
    await rows.return(undefined).catch(() => undefined);
  }
  if (first.done) throw AppException.badRequest('The file is empty', 'file');
  const mapping = mapHeaders(first.value.cells);
  if (mapping.missing.length > 0 || mapping.repeated.length > 0) {
    const problems = [
      ...mapping.missing.map((f) => `no column for ${f}`),
      ...mapping.repeated.map((f) => `more than one column for ${f}`),
    ];
    throw AppException.badRequest(
      `The header row does not match the template: ${problems.join('; ')} (GET /api/v1/members/imports/template)`,
      'file',
      'header',
    );
  }
  return mapping;
}

/** Reads an XLSX's central directory and refuses it, before anything is inflated, when it would unpack too far. */
async function checkArchive(file: string, limits: ZipLimits): Promise<void> {
  try {
    checkZipLimits(await readZipDirectory(file), limits);
  } catch (error) {
    if (error instanceof ZipLimitError) throw zipLimitProblem(error);
    if (error instanceof UnreadableFileError) throw AppException.badRequest(error.message, 'file');
    throw error;
  }
}

function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function zipLimitProblem(error: ZipLimitError): AppException {
  return error.kind === 'total'
    ? new AppException(
        HttpStatus.PAYLOAD_TOO_LARGE,
        ErrorCode.UncompressedTooLarge,
        error.message,
        [{ field: 'file', code: 'uncompressed_too_large', message: error.message }],
      )
    : new AppException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        ErrorCode.CompressionRatioTooHigh,
        error.message,
        [{ field: 'file', code: 'compression_ratio_too_high', message: error.message }],
      );
}
