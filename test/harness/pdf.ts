import jsQRModule from 'jsqr';
import { PDFParse } from 'pdf-parse';
import { PNG } from 'pngjs';

// jsqr is CommonJS with `exports.default`: under NodeNext the default import is the exports object.
const jsQR = jsQRModule.default;

export interface ReadPdf {
  /** Each page's text, in reading order. */
  pages: string[];
  /** Each page's QR codes, decoded from its embedded images. */
  qrCodes: string[][];
}

/** Reads a PDF back the way a person or a scanner would: its text per page and the QR codes on each page. */
export async function readPdf(buffer: Buffer | Uint8Array): Promise<ReadPdf> {
  const parser = new PDFParse({ data: new Uint8Array(buffer) });
  try {
    const text = await parser.getText();
    const images = await parser.getImage({ imageThreshold: 0 });
    const qrCodes = text.pages.map((page) => {
      const onPage = images.pages.find((p) => p.pageNumber === page.num)?.images ?? [];
      return onPage.flatMap((image) => {
        const png = PNG.sync.read(Buffer.from(image.data));
        const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
        return code ? [code.data] : [];
      });
    });
    return { pages: text.pages.map((p) => p.text), qrCodes };
  } finally {
    await parser.destroy();
  }
}
