import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type PDFKit from 'pdfkit';

/** Who every document this API prints comes from: on every page's header. */
export const PDF_PUBLISHER = 'Economic Freedom Fighters';

export interface PdfOptions {
  /** On every page's header, and the document's title metadata. */
  title: string;
  /** A line under the first page's heading (e.g. the area and date a report covers). */
  subtitle?: string;
  landscape?: boolean;
  /** false: no title block at the top of the first page (the page header still names the document). */
  heading?: boolean;
  /** The generation time printed in every page's footer; now unless a caller fixes it. */
  generatedAt?: Date;
}

export interface PdfColumn {
  header: string;
  /** The column's share of the page width, relative to the other columns' weights. */
  weight?: number;
}

/** A rectangle on the current page, in points. */
export interface PdfBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

const MARGIN = 40;
const HEADER_HEIGHT = 28;
const FOOTER_HEIGHT = 22;
const TABLE_FONT_SIZE = 9;
const CELL_PADDING = 4;

// The party's calendar (core's SOUTH_AFRICAN_TIME_ZONE); not imported, so that files loads without core.
const GENERATED_AT = new Intl.DateTimeFormat('en-ZA', {
  timeZone: 'Africa/Johannesburg',
  dateStyle: 'medium',
  timeStyle: 'short',
});

/**
 * The one place PDF documents are written (reports, registers, membership cards): pdfkit, loaded with the first
 * document, streaming to `out`. Every page carries the party's name and the document's title at the top and the
 * generation time (South African time) with "page i of n" at the bottom. pdfkit's standard fonts cover Latin-1
 * (WinAnsi) only: characters outside it print as substitutes.
 */
export class PdfWriter {
  private readonly generatedAt: Date;

  private constructor(
    private readonly doc: PDFKit.PDFDocument,
    private readonly out: Writable,
    private readonly options: PdfOptions,
  ) {
    this.generatedAt = options.generatedAt ?? new Date();
  }

  static async open(out: Writable, options: PdfOptions): Promise<PdfWriter> {
    const { default: PDFDocument } = await import('pdfkit');
    const doc = new PDFDocument({
      size: 'A4',
      layout: options.landscape ? 'landscape' : 'portrait',
      margins: {
        top: MARGIN + HEADER_HEIGHT,
        bottom: MARGIN + FOOTER_HEIGHT,
        left: MARGIN,
        right: MARGIN,
      },
      bufferPages: true,
      info: { Title: options.title, Author: PDF_PUBLISHER, Creator: 'eff-membership-api' },
    });
    doc.pipe(out);
    const writer = new PdfWriter(doc, out, options);
    if (options.heading !== false) {
      doc.font('Helvetica-Bold').fontSize(16).text(options.title);
      if (options.subtitle) doc.font('Helvetica').fontSize(11).text(options.subtitle);
      doc.moveDown();
    }
    return writer;
  }

  /** The writable area of the current page. */
  get content(): PdfBox {
    const { width, height, margins } = this.doc.page;
    return {
      x: margins.left,
      y: margins.top,
      width: width - margins.left - margins.right,
      height: height - margins.top - margins.bottom,
    };
  }

  /** pdfkit itself, for drawing inside a box this writer handed out. */
  get pdf(): PDFKit.PDFDocument {
    return this.doc;
  }

  heading(text: string): this {
    this.doc.moveDown(0.5).font('Helvetica-Bold').fontSize(12).text(text, this.content.x);
    this.doc.font('Helvetica').fontSize(10);
    return this;
  }

  paragraph(text: string): this {
    this.doc.font('Helvetica').fontSize(10).text(text, this.content.x);
    return this;
  }

  /** Label: value lines, labels in bold. */
  fields(pairs: readonly (readonly [string, string])[]): this {
    for (const [label, value] of pairs) {
      this.doc
        .font('Helvetica-Bold')
        .fontSize(10)
        .text(`${label}: `, this.content.x, undefined, { continued: true })
        .font('Helvetica')
        .text(value);
    }
    return this;
  }

  /**
   * A table whose header row repeats on every page it spans; cells wrap within their column and a row never
   * splits across pages. Resolves with the number of rows written.
   */
  async table(
    columns: readonly PdfColumn[],
    rows: Iterable<(string | null)[]> | AsyncIterable<(string | null)[]>,
    options: { minRowHeight?: number } = {},
  ): Promise<number> {
    const box = this.content;
    const total = columns.reduce((sum, c) => sum + (c.weight ?? 1), 0);
    const widths = columns.map((c) => (box.width * (c.weight ?? 1)) / total);
    const minHeight = options.minRowHeight ?? 0;
    const drawRow = (cells: readonly string[], bold: boolean): void => {
      this.doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(TABLE_FONT_SIZE);
      const height = Math.max(
        minHeight,
        ...cells.map(
          (cell, i) =>
            this.doc.heightOfString(cell, { width: widths[i]! - 2 * CELL_PADDING }) +
            2 * CELL_PADDING,
        ),
      );
      if (this.doc.y + height > box.y + box.height) {
        this.doc.addPage();
        if (!bold) drawRow(header, true);
      }
      const top = this.doc.y;
      let x = box.x;
      cells.forEach((cell, i) => {
        const width = widths[i]!;
        this.doc.rect(x, top, width, height).stroke();
        this.doc.text(cell, x + CELL_PADDING, top + CELL_PADDING, {
          width: width - 2 * CELL_PADDING,
          lineBreak: true,
        });
        x += width;
      });
      this.doc.x = box.x;
      this.doc.y = top + height;
    };
    const header = columns.map((c) => c.header);
    this.doc.lineWidth(0.5);
    drawRow(header, true);
    let count = 0;
    for await (const row of rows) {
      count += 1;
      drawRow(
        row.map((v) => v ?? ''),
        false,
      );
      if (count % 200 === 0 && this.out.writableNeedDrain) await once(this.out, 'drain');
    }
    this.doc.moveDown();
    return count;
  }

  /**
   * Boxes laid out `columns` × `rows` per page (e.g. 2 × 4 membership cards on A4), starting on a fresh page
   * unless nothing is on the current one yet; a new page begins after every `columns × rows` items. Resolves with the number of items drawn.
   */
  async grid<T>(
    items: Iterable<T> | AsyncIterable<T>,
    layout: { columns: number; rows: number; gap?: number },
    draw: (item: T, box: PdfBox) => void | Promise<void>,
  ): Promise<number> {
    const gap = layout.gap ?? 10;
    const perPage = layout.columns * layout.rows;
    let count = 0;
    for await (const item of items) {
      if (count % perPage === 0 && (count > 0 || this.doc.y > this.content.y)) this.doc.addPage();
      const box = this.content;
      const width = (box.width - gap * (layout.columns - 1)) / layout.columns;
      const height = (box.height - gap * (layout.rows - 1)) / layout.rows;
      const slot = count % perPage;
      const column = slot % layout.columns;
      const row = Math.floor(slot / layout.columns);
      await draw(item, {
        x: box.x + column * (width + gap),
        y: box.y + row * (height + gap),
        width,
        height,
      });
      count += 1;
      if (count % 50 === 0 && this.out.writableNeedDrain) await once(this.out, 'drain');
    }
    return count;
  }

  /** A QR code (error correction M) as a PNG image `size` points wide at (x, y). */
  async qrCode(text: string, x: number, y: number, size: number): Promise<void> {
    const { default: QRCode } = await import('qrcode');
    const png = await QRCode.toBuffer(text, {
      type: 'png',
      errorCorrectionLevel: 'M',
      margin: 1,
      scale: 4,
    });
    this.doc.image(png, x, y, { width: size, height: size });
  }

  /** Writes every page's header and footer and ends the document; resolves when `out` has it all. */
  async end(): Promise<void> {
    const range = this.doc.bufferedPageRange();
    const generated = `Generated ${GENERATED_AT.format(this.generatedAt)} (South African time)`;
    for (let i = range.start; i < range.start + range.count; i += 1) {
      this.doc.switchToPage(i);
      const { width, height, margins } = this.doc.page;
      const inner = width - 2 * MARGIN;
      // Writing into the margins must not make pdfkit start a new page.
      const savedBottom = margins.bottom;
      margins.bottom = 0;
      this.doc.font('Helvetica-Bold').fontSize(9);
      this.doc.text(PDF_PUBLISHER, MARGIN, MARGIN, { width: inner, lineBreak: false });
      this.doc.font('Helvetica').text(this.options.title, MARGIN, MARGIN, {
        width: inner,
        align: 'right',
        lineBreak: false,
      });
      this.doc
        .moveTo(MARGIN, MARGIN + 14)
        .lineTo(width - MARGIN, MARGIN + 14)
        .lineWidth(0.5)
        .stroke();
      const footerY = height - MARGIN - 10;
      this.doc.fontSize(8).text(generated, MARGIN, footerY, { width: inner, lineBreak: false });
      this.doc.text(`Page ${i - range.start + 1} of ${range.count}`, MARGIN, footerY, {
        width: inner,
        align: 'right',
        lineBreak: false,
      });
      margins.bottom = savedBottom;
    }
    const finished = once(this.out, 'finish');
    this.doc.end();
    await finished;
  }
}

/** Renders a whole document into memory, for callers that answer with a Buffer (small documents, tests). */
export async function renderPdf(
  options: PdfOptions,
  draw: (writer: PdfWriter) => Promise<void>,
): Promise<Buffer> {
  const { PassThrough } = await import('node:stream');
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  const writer = await PdfWriter.open(sink, options);
  await draw(writer);
  await writer.end();
  return Buffer.concat(chunks);
}
