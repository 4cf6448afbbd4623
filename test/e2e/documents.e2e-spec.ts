import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Response } from 'supertest';
import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { daysFromToday } from '../harness/branches-fixtures.js';
import { createMember, WARDS } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

/**
 * The shared document store through its two users, over real multipart HTTP into the real app and PostgreSQL:
 * payment receipts (POST/GET /payments/{id}/receipt) and meeting documents (/meetings/{id}/documents). Files
 * are judged by their bytes, kept in DOCUMENTS_DIR (a folder of this spec) with their SHA-256, and come back
 * byte for byte; nothing refused or failed leaves a row or a file behind.
 */
const MAX_BYTES = 64 * 1024;
const documentsDir = mkdtempSync(path.join(tmpdir(), 'eff-documents-'));

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const pdf = (): Buffer =>
  Buffer.concat([
    Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n', 'latin1'),
    randomBytes(2048),
    Buffer.from('\n%%EOF\n'),
  ]);
const jpeg = (): Buffer =>
  Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]),
    randomBytes(3000),
    Buffer.from([0xff, 0xd9]),
  ]);
const png = (): Buffer =>
  Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48]),
    randomBytes(1500),
  ]);
const exe = (): Buffer =>
  Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00', 'latin1'), randomBytes(512)]);
const html = (): Buffer => Buffer.from('<!DOCTYPE html><html><script>alert(1)</script></html>');

/** Every file under DOCUMENTS_DIR (relative), the incoming/ parts included. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** Collects a file answer as a Buffer; a problem (JSON) answer is parsed as JSON. */
function binary(res: Response, done: (err: Error | null, body: unknown) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => {
    const body = Buffer.concat(chunks);
    const json = /json/.test(String(res.headers['content-type'] ?? ''));
    done(null, json ? (JSON.parse(body.toString('utf8')) as unknown) : body);
  });
}

describe('document store: payment receipts and meeting documents (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let recorder: Session;
  let siblingWardAdmin: Session;
  let auditor: Session;
  const today = new Date().toISOString().slice(0, 10);
  const http = () => t.app.http();
  const pool = () => t.db.pool;
  const ref = (): string => `R-${randomBytes(6).toString('hex')}`;

  const stalePart = path.join(documentsDir, 'incoming', 'left-by-a-dead-process.part');
  const livePart = path.join(documentsDir, 'incoming', 'still-streaming.part');

  beforeAll(async () => {
    mkdirSync(path.dirname(stalePart), { recursive: true });
    writeFileSync(stalePart, 'half an upload');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(stalePart, twoHoursAgo, twoHoursAgo);
    writeFileSync(livePart, 'an upload in flight on another process');
    t = await startTestContext({
      DOCUMENTS_DIR: documentsDir,
      DOCUMENT_MAX_BYTES: String(MAX_BYTES),
      AUTH_THROTTLE_LIMIT: '1000',
      STATUS_RECALC_CRON: 'off',
      MEMBER_RETENTION_DAYS: '30',
    });
    admin = await loginAsSuperAdmin(t.app);
    recorder = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.own);
    siblingWardAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.siblingWard);
    auditor = await createUser(t.app, admin, 'auditor', 'province', 'GP');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    rmSync(documentsDir, { recursive: true, force: true });
  });

  async function pendingPayment(memberId: string, by: Session = admin): Promise<string> {
    const res = await http()
      .post('/api/v1/payments')
      .set(...bearer(by))
      .send({ memberId, method: 'cash', paidOn: today, reference: ref() })
      .expect(201);
    return (res.body as { id: string }).id;
  }

  function attach(
    session: Session,
    paymentId: string,
    file: Buffer,
    filename: string,
    contentType?: string,
  ) {
    return http()
      .post(`/api/v1/payments/${paymentId}/receipt`)
      .set(...bearer(session))
      .attach('file', file, contentType ? { filename, contentType } : filename);
  }

  function download(session: Session, url: string) {
    return http()
      .get(url)
      .set(...bearer(session))
      .buffer(true)
      .parse(binary);
  }

  async function counts(): Promise<{ documents: number; receipts: number; meetingDocs: number }> {
    const { rows } = await pool().query<{
      documents: number;
      receipts: number;
      meetingDocs: number;
    }>(
      `SELECT (SELECT count(*) FROM stored_documents)::int AS documents,
              (SELECT count(*) FROM payment_receipts)::int AS receipts,
              (SELECT count(*) FROM branch_meeting_documents)::int AS "meetingDocs"`,
    );
    return rows[0]!;
  }

  /** The stored files: one per stored_documents row, named by its id, nothing left in incoming/. */
  async function filesMatchRows(): Promise<void> {
    const { rows } = await pool().query<{ id: string }>('SELECT id FROM stored_documents');
    expect(filesUnder(documentsDir)).toEqual(
      rows.map((r) => path.join(r.id.slice(0, 2), r.id)).sort(),
    );
  }

  it('deletes upload parts a dead process left behind at start (older than an hour), not newer ones', () => {
    expect(existsSync(stalePart)).toBe(false);
    expect(existsSync(livePart)).toBe(true);
    unlinkSync(livePart);
  });

  describe('receipts', () => {
    it('keeps a PDF, a JPEG and a PNG and gives each back byte for byte with its SHA-256 and safe headers', async () => {
      const member = await createMember(t.app, admin, { wardCode: WARDS.own });
      for (const [file, name, type] of [
        [pdf(), 'Receipt 0042.pdf', 'application/pdf'],
        [jpeg(), 'slip.JPG', 'image/jpeg'],
        [png(), '../../etc/"scan".png', 'image/png'],
      ] as const) {
        const paymentId = await pendingPayment(member.id);
        const up = await attach(recorder, paymentId, file, name).expect(201);
        expect(up.body).toMatchObject({
          paymentId,
          sha256: sha256(file),
          sizeBytes: file.length,
          mediaType: type,
        });
        expect(up.body.fileName).not.toMatch(/[/\\"]/);
        const res = await download(auditor, `/api/v1/payments/${paymentId}/receipt`).expect(200);
        expect(Buffer.compare(res.body as Buffer, file)).toBe(0);
        expect(res.headers['content-type']).toBe(type);
        expect(res.headers['content-disposition']).toMatch(/^attachment; filename="/);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers.etag).toBe(`"${sha256(file)}"`);
        const { rows } = await pool().query<{ sha256: string; size_bytes: number }>(
          'SELECT d.sha256, d.size_bytes FROM payment_receipts r JOIN stored_documents d ON d.id = r.document_id WHERE r.payment_id = $1',
          [paymentId],
        );
        expect(rows).toEqual([{ sha256: sha256(file), size_bytes: file.length }]);
        // the conditional request with the ETag
        await http()
          .get(`/api/v1/payments/${paymentId}/receipt`)
          .set(...bearer(auditor))
          .set('If-None-Match', `"${sha256(file)}"`)
          .expect(304);
      }
      await filesMatchRows();
    });

    it('refuses a PNG named .pdf (422), an EXE and an HTML page (415), a PDF declared as a PNG (422): nothing kept', async () => {
      const member = await createMember(t.app, admin, { wardCode: WARDS.own });
      const paymentId = await pendingPayment(member.id);
      const before = await counts();
      const fake = await attach(recorder, paymentId, png(), 'receipt.pdf').expect(422);
      expect(fake.body).toMatchObject({ code: 'DOCUMENT_TYPE_MISMATCH', sniffedType: 'image/png' });
      const declared = await attach(recorder, paymentId, pdf(), 'receipt', 'image/png').expect(422);
      expect(declared.body.code).toBe('DOCUMENT_TYPE_MISMATCH');
      for (const [file, name] of [
        [exe(), 'receipt.exe'],
        [exe(), 'receipt.pdf'],
        [html(), 'receipt.html'],
        [html(), 'receipt.png'],
      ] as const) {
        const res = await attach(recorder, paymentId, file, name).expect(415);
        expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      }
      await attach(recorder, paymentId, Buffer.alloc(0), 'empty.pdf').expect(415);
      await http()
        .post(`/api/v1/payments/${paymentId}/receipt`)
        .set(...bearer(recorder))
        .field('note', 'no file')
        .expect(400);
      expect(await counts()).toEqual(before);
      await download(admin, `/api/v1/payments/${paymentId}/receipt`).expect(404);
      await filesMatchRows();
    });

    it('refuses a file over DOCUMENT_MAX_BYTES with 413: no row, no file (not even in incoming/)', async () => {
      const member = await createMember(t.app, admin, { wardCode: WARDS.own });
      const paymentId = await pendingPayment(member.id);
      const before = await counts();
      const big = Buffer.concat([pdf(), randomBytes(MAX_BYTES)]);
      const res = await attach(recorder, paymentId, big, 'big.pdf').expect(413);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
      // exactly the limit is accepted
      const limit = Buffer.concat([pdf(), randomBytes(MAX_BYTES)]).subarray(0, MAX_BYTES);
      expect(await counts()).toEqual(before);
      await filesMatchRows();
      await attach(recorder, paymentId, limit, 'limit.pdf').expect(201);
      await filesMatchRows();
    });

    it('leaves no row and no file when the transaction fails after the file was placed', async () => {
      const member = await createMember(t.app, admin, { wardCode: WARDS.own });
      const paymentId = await pendingPayment(member.id);
      const before = await counts();
      await pool().query(`CREATE FUNCTION test_fail_receipt() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`);
      await pool().query(`CREATE TRIGGER test_fail_receipt BEFORE INSERT ON payment_receipts
        FOR EACH ROW EXECUTE FUNCTION test_fail_receipt()`);
      try {
        const res = await t.app
          .http({ skipContract: 'fault injection: the database refuses the receipt row' })
          .post(`/api/v1/payments/${paymentId}/receipt`)
          .set(...bearer(recorder))
          .attach('file', pdf(), 'receipt.pdf');
        expect(res.status).toBe(500);
      } finally {
        await pool().query('DROP TRIGGER test_fail_receipt ON payment_receipts');
        await pool().query('DROP FUNCTION test_fail_receipt()');
      }
      expect(await counts()).toEqual(before);
      await filesMatchRows();
    });

    it('replaces the receipt while pending (the old file goes), refuses one once decided (409)', async () => {
      const member = await createMember(t.app, admin, { wardCode: WARDS.own });
      // recorded by the ward admin, so the super admin may verify it (four eyes)
      const paymentId = await pendingPayment(member.id, recorder);
      const first = pdf();
      const second = jpeg();
      const a = await attach(recorder, paymentId, first, 'first.pdf').expect(201);
      const b = await attach(recorder, paymentId, second, 'second.jpg').expect(201);
      expect(b.body.documentId).not.toBe(a.body.documentId);
      const res = await download(admin, `/api/v1/payments/${paymentId}/receipt`).expect(200);
      expect(sha256(res.body as Buffer)).toBe(sha256(second));
      const { rows } = await pool().query('SELECT 1 FROM stored_documents WHERE id = $1', [
        a.body.documentId,
      ]);
      expect(rows).toHaveLength(0);
      await filesMatchRows();
      const audit = await pool().query<{ changes: { replacedSha256?: string } }>(
        `SELECT changes FROM audit_events WHERE action = 'payment.receipt_attached' AND entity_id = $1
          ORDER BY occurred_at`,
        [paymentId],
      );
      expect(audit.rows.map((r) => r.changes.replacedSha256 ?? null)).toEqual([
        null,
        sha256(first),
      ]);

      await http()
        .post(`/api/v1/payments/${paymentId}/verify`)
        .set(...bearer(admin))
        .expect(200);
      const late = await attach(recorder, paymentId, pdf(), 'late.pdf').expect(409);
      expect(late.body.code).toBe('INVALID_STATUS_TRANSITION');
      // the verified payment still shows its evidence
      const kept = await download(admin, `/api/v1/payments/${paymentId}/receipt`).expect(200);
      expect(sha256(kept.body as Buffer)).toBe(sha256(second));
    });

    it('outside the member’s area: download 404, upload 403, and nothing kept', async () => {
      const member = await createMember(t.app, admin, { wardCode: WARDS.own });
      const paymentId = await pendingPayment(member.id);
      const file = pdf();
      await attach(recorder, paymentId, file, 'r.pdf').expect(201);
      const before = await counts();
      const res = await download(siblingWardAdmin, `/api/v1/payments/${paymentId}/receipt`).expect(
        404,
      );
      expect(JSON.stringify(res.body)).not.toContain(sha256(file));
      await attach(siblingWardAdmin, paymentId, pdf(), 'x.pdf').expect(403);
      expect(await counts()).toEqual(before);
      // the member moved away: the receipt follows the member's area, not the payment's
      await http()
        .post(`/api/v1/members/${member.id}/transfer`)
        .set(...bearer(admin))
        .send({ toWardCode: WARDS.otherProvince, reason: 'Moved' })
        .expect(200);
      await download(recorder, `/api/v1/payments/${paymentId}/receipt`).expect(404);
      await download(admin, `/api/v1/payments/${paymentId}/receipt`).expect(200);
    });

    it('shows in the member history and the POPIA data export (metadata only); erasure removes rows and files', async () => {
      const member = await createMember(t.app, admin, { wardCode: WARDS.own });
      const paymentId = await pendingPayment(member.id);
      const file = png();
      const up = await attach(recorder, paymentId, file, 'proof.png').expect(201);
      const documentId = up.body.documentId as string;

      const history = await http()
        .get(`/api/v1/members/${member.id}/history`)
        .set(...bearer(admin))
        .expect(200);
      const entry = (
        history.body.data as { kind: string; details: Record<string, unknown> | null }[]
      ).find((h) => h.details?.event === 'receipt_attached');
      expect(entry).toMatchObject({
        kind: 'payment',
        details: {
          paymentId,
          sha256: sha256(file),
          sizeBytes: file.length,
          mediaType: 'image/png',
        },
      });

      const exported = await http()
        .get(`/api/v1/members/${member.id}/data-export`)
        .set(...bearer(admin))
        .expect(200);
      expect(exported.body.receipts).toEqual([
        expect.objectContaining({
          paymentId,
          documentId,
          sha256: sha256(file),
          sizeBytes: file.length,
          mediaType: 'image/png',
          fileName: 'proof.png',
        }),
      ]);
      expect(JSON.stringify(exported.body)).not.toContain(file.toString('base64').slice(0, 40));

      const stored = path.join(documentsDir, documentId.slice(0, 2), documentId);
      expect(existsSync(stored)).toBe(true);
      await http()
        .post(`/api/v1/members/${member.id}/status`)
        .set(...bearer(admin))
        .send({ action: 'cancel', reason: 'Resigned from the party' })
        .expect(200);
      await pool().query(
        `UPDATE member_history SET created_at = created_at - interval '31 days' WHERE member_id = $1`,
        [member.id],
      );
      const erased = await http()
        .post(`/api/v1/members/${member.id}/erasure`)
        .set(...bearer(admin))
        .expect(200);
      expect(erased.body.id).toBe(member.id);
      expect(existsSync(stored)).toBe(false);
      const left = await pool().query(
        `SELECT (SELECT count(*) FROM payment_receipts WHERE payment_id = $1)::int AS receipts,
                (SELECT count(*) FROM stored_documents WHERE id = $2)::int AS documents`,
        [paymentId, documentId],
      );
      expect(left.rows[0]).toEqual({ receipts: 0, documents: 0 });
      const audit = await pool().query<{ changes: { receipts: number } }>(
        `SELECT changes FROM audit_events WHERE action = 'member.erased' AND entity_id = $1`,
        [member.id],
      );
      expect(audit.rows[0]?.changes.receipts).toBe(1);
      await download(admin, `/api/v1/payments/${paymentId}/receipt`).expect(404);
      await filesMatchRows();
    });
  });

  describe('meeting documents', () => {
    async function meeting(wardCode: string): Promise<string> {
      const res = await http()
        .post('/api/v1/meetings')
        .set(...bearer(admin))
        .send({ type: 'bga', wardCode, scheduledOn: daysFromToday(-3), place: 'Hall' })
        .expect(201);
      return (res.body as { id: string }).id;
    }

    const upload = (
      session: Session,
      meetingId: string,
      kind: string,
      file: Buffer,
      name: string,
    ) =>
      http()
        .post(`/api/v1/meetings/${meetingId}/documents`)
        .set(...bearer(session))
        .field('kind', kind)
        .attach('file', file, name);

    it('keeps versions per kind, lists them with their SHA-256 and serves each byte for byte', async () => {
      const id = await meeting(WARDS.own);
      const agenda1 = pdf();
      const agenda2 = pdf();
      const minutes = pdf();
      const a1 = await upload(recorder, id, 'agenda', agenda1, 'agenda.pdf').expect(201);
      expect(a1.body).toMatchObject({ kind: 'agenda', version: 1, sha256: sha256(agenda1) });
      const a2 = await upload(recorder, id, 'agenda', agenda2, 'agenda v2.pdf').expect(201);
      expect(a2.body).toMatchObject({ kind: 'agenda', version: 2, latest: true });
      await upload(recorder, id, 'minutes', minutes, 'minutes.pdf').expect(201);

      const list = await http()
        .get(`/api/v1/meetings/${id}/documents`)
        .set(...bearer(auditor))
        .expect(200);
      expect(
        (list.body as { kind: string; version: number; latest: boolean; sha256: string }[]).map(
          (d) => [d.kind, d.version, d.latest, d.sha256],
        ),
      ).toEqual([
        ['agenda', 2, true, sha256(agenda2)],
        ['agenda', 1, false, sha256(agenda1)],
        ['minutes', 1, true, sha256(minutes)],
      ]);
      const res = await download(auditor, `/api/v1/meetings/${id}/documents/${a1.body.id}`).expect(
        200,
      );
      expect(Buffer.compare(res.body as Buffer, agenda1)).toBe(0);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['content-disposition']).toMatch(/^attachment;/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers.etag).toBe(`"${sha256(agenda1)}"`);
      // a document of another meeting is not found through this one
      const other = await meeting(WARDS.own);
      await download(admin, `/api/v1/meetings/${other}/documents/${a1.body.id}`).expect(404);
      await filesMatchRows();
    });

    it('gives concurrent uploads of one kind consecutive versions', async () => {
      const id = await meeting(WARDS.own);
      const answers = await Promise.all(
        [0, 1, 2, 3].map((i) => upload(recorder, id, 'decisions', pdf(), `d${i}.pdf`)),
      );
      expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201]);
      expect(answers.map((a) => (a.body as { version: number }).version).sort()).toEqual([
        1, 2, 3, 4,
      ]);
    });

    it('takes PDFs only, refuses bad kinds, and keeps nothing refused', async () => {
      const id = await meeting(WARDS.own);
      const before = await counts();
      await upload(recorder, id, 'agenda', jpeg(), 'agenda.jpg').expect(415);
      // a PNG is no PDF, whatever its name says
      await upload(recorder, id, 'agenda', png(), 'agenda.pdf').expect(415);
      const named = await upload(recorder, id, 'agenda', pdf(), 'agenda.png').expect(422);
      expect(named.body.code).toBe('DOCUMENT_TYPE_MISMATCH');
      await upload(recorder, id, 'agenda', html(), 'agenda.html').expect(415);
      await upload(recorder, id, 'budget', pdf(), 'budget.pdf').expect(400);
      await upload(
        recorder,
        id,
        'agenda',
        Buffer.concat([pdf(), randomBytes(MAX_BYTES)]),
        'a.pdf',
      ).expect(413);
      expect(await counts()).toEqual(before);
      await filesMatchRows();
    });

    it('scoped like the meeting: read 404 and write 403 outside; a verified meeting refuses documents (409)', async () => {
      const id = await meeting(WARDS.own);
      const doc = await upload(recorder, id, 'minutes', pdf(), 'm.pdf').expect(201);
      await http()
        .get(`/api/v1/meetings/${id}/documents`)
        .set(...bearer(siblingWardAdmin))
        .expect(404);
      await download(siblingWardAdmin, `/api/v1/meetings/${id}/documents/${doc.body.id}`).expect(
        404,
      );
      await upload(siblingWardAdmin, id, 'minutes', pdf(), 'm.pdf').expect(403);

      await pool().query(
        `UPDATE branch_meetings SET status = 'held', verified_at = now() WHERE id = $1`,
        [id],
      );
      const before = await counts();
      const locked = await upload(recorder, id, 'minutes', pdf(), 'm2.pdf').expect(409);
      expect(locked.body.code).toBe('MEETING_LOCKED');
      expect(await counts()).toEqual(before);
      await filesMatchRows();
      // what it had stays readable
      await download(recorder, `/api/v1/meetings/${id}/documents/${doc.body.id}`).expect(200);
      const audit = await pool().query(
        `SELECT 1 FROM audit_events WHERE action = 'branches.meeting_document_uploaded' AND entity_id = $1`,
        [id],
      );
      expect(audit.rows).toHaveLength(1);
    });
  });
});
