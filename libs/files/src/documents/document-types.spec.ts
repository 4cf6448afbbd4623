import {
  attachmentDisposition,
  declaredMismatches,
  DocumentMediaType,
  sanitiseDocumentName,
  sniffDocumentType,
} from './document-types.js';

describe('document types', () => {
  it('recognises PDF, JPEG and PNG by their first bytes only', () => {
    expect(sniffDocumentType(Buffer.from('%PDF-1.7\n'))).toBe(DocumentMediaType.Pdf);
    expect(sniffDocumentType(Buffer.from([0xff, 0xd8, 0xff, 0xdb]))).toBe(DocumentMediaType.Jpeg);
    expect(
      sniffDocumentType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])),
    ).toBe(DocumentMediaType.Png);
    for (const other of [
      Buffer.from('MZ\x90\x00', 'latin1'),
      Buffer.from('<html>%PDF-'),
      Buffer.from(' %PDF-1.4'),
      Buffer.from('%PDF'),
      Buffer.from([0xff, 0xd8]),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a]),
      Buffer.alloc(0),
    ])
      expect(sniffDocumentType(other)).toBeNull();
  });

  it('names each disagreement of the declared type or extension with the bytes', () => {
    const pdf = DocumentMediaType.Pdf;
    expect(declaredMismatches(pdf, 'application/pdf', 'a.PDF')).toEqual([]);
    expect(declaredMismatches(pdf, 'application/octet-stream', 'minutes')).toEqual([]);
    expect(declaredMismatches(DocumentMediaType.Jpeg, 'image/jpg', 'slip.jpeg')).toEqual([]);
    expect(declaredMismatches(pdf, 'image/png', 'a.pdf')).toEqual(['declared as image/png']);
    expect(declaredMismatches(DocumentMediaType.Png, 'application/pdf', 'scan.pdf')).toEqual([
      'declared as application/pdf',
      'named .pdf',
    ]);
  });

  it('keeps a safe last path segment with an extension of the real type', () => {
    const png = DocumentMediaType.Png;
    expect(sanitiseDocumentName('../../etc/"passwd".png', png)).toBe('_passwd_.png');
    expect(sanitiseDocumentName('C:\\scans\\Kwitansie 7.PNG', png)).toBe('Kwitansie 7.png');
    expect(sanitiseDocumentName('receipt', DocumentMediaType.Jpeg)).toBe('receipt.jpg');
    expect(sanitiseDocumentName('', DocumentMediaType.Pdf)).toBe('document.pdf');
    expect(sanitiseDocumentName('...', DocumentMediaType.Pdf)).toBe('document.pdf');
    expect(sanitiseDocumentName('a\r\nContent-Type: x.pdf', DocumentMediaType.Pdf)).toBe(
      'a_Content-Type_ x.pdf',
    );
    expect(sanitiseDocumentName(`${'x'.repeat(300)}.pdf`, DocumentMediaType.Pdf)).toHaveLength(120);
  });

  it('gives an ASCII fallback and the UTF-8 name in Content-Disposition', () => {
    expect(attachmentDisposition('Ukhetho é.pdf')).toBe(
      `attachment; filename="Ukhetho e_.pdf"; filename*=UTF-8''Ukhetho%20%C3%A9.pdf`,
    );
  });
});
