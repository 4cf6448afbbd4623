import { readPdf } from '../../../../test/harness/pdf.js';
import { PDF_PUBLISHER, renderPdf } from './pdf-writer.js';

describe('PdfWriter', () => {
  const generatedAt = new Date('2026-12-03T08:30:00Z');

  it('prints the party, the title and the generation time on every page, and repeats the table header', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => [`Member ${i + 1}`, `EFF${1000 + i}`, null]);
    const pdf = await renderPdf(
      { title: 'Attendance register', subtitle: 'Ward 79800001', generatedAt },
      (w) =>
        w
          .table(
            [
              { header: 'Name', weight: 2 },
              { header: 'Membership number' },
              { header: 'Signature' },
            ],
            rows,
          )
          .then(() => undefined),
    );
    const { pages } = await readPdf(pdf);
    expect(pages.length).toBeGreaterThan(1);
    pages.forEach((page, i) => {
      expect(page).toContain(PDF_PUBLISHER);
      expect(page).toContain('Attendance register');
      expect(page).toContain('Generated 03 Dec 2026, 10:30 (South African time)');
      expect(page).toContain(`Page ${i + 1} of ${pages.length}`);
      expect(page).toContain('Membership number');
    });
    const all = pages.join('\n');
    expect(all).toContain('Ward 79800001');
    for (const [name, number] of rows) {
      expect(all).toContain(name);
      expect(all).toContain(number);
    }
    expect(all.match(/Member \d+/g)).toHaveLength(120);
  });

  it('lays out a grid of boxes per page and its QR codes scan back', async () => {
    const tokens = Array.from({ length: 10 }, (_, i) => `card-token-${i}.${'x'.repeat(120)}`);
    const pdf = await renderPdf(
      { title: 'Membership cards', heading: false, generatedAt },
      async (w) => {
        await w.grid(tokens, { columns: 2, rows: 4 }, async (token, box) => {
          w.pdf.rect(box.x, box.y, box.width, box.height).stroke();
          w.pdf.fontSize(9).text(token.slice(0, 12), box.x + 6, box.y + 6);
          await w.qrCode(token, box.x + box.width - 90, box.y + 6, 84);
        });
      },
    );
    const { pages, qrCodes } = await readPdf(pdf);
    expect(pages).toHaveLength(2);
    expect(qrCodes[0]).toHaveLength(8);
    expect(qrCodes[1]).toHaveLength(2);
    expect(qrCodes.flat().sort()).toEqual([...tokens].sort());
  });
});
