import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bearer } from '../harness/auth.js';
import { daysFromToday } from '../harness/branches-fixtures.js';
import { WARDS } from '../harness/members.js';
import {
  FORBIDDEN,
  Matrix,
  PerTarget,
  Place,
  startMatrix,
  MATRIX_ROLES_WITH_FINANCE,
} from '../harness/matrix.js';

/**
 * The document routes (payment receipts, meeting documents) x every role x a target in the caller's own area, a
 * sibling area and the parent's wider area (test/harness/matrix.ts). Receipts follow the payments rule (read
 * outside 404, write outside 403; payments:read / payments:record), meeting documents the branches rule (read
 * outside 404, write outside 403; branches:read / branches:manage). Roles without the permission get 403 before
 * any lookup.
 */
const ROLES = MATRIX_ROLES_WITH_FINANCE;
type Role = (typeof ROLES)[number];

interface Expected {
  attachReceipt: PerTarget;
  getReceipt: PerTarget;
  uploadDocument: PerTarget;
  listDocuments: PerTarget;
  getDocument: PerTarget;
}

const ALL = (s: number): PerTarget => [s, s, s];
const NATIONAL: Expected = {
  attachReceipt: ALL(201),
  getReceipt: ALL(200),
  uploadDocument: ALL(201),
  listDocuments: ALL(200),
  getDocument: ALL(200),
};
const AREA: Expected = {
  attachReceipt: [201, 403, 403],
  getReceipt: [200, 404, 404],
  uploadDocument: [201, 403, 403],
  listDocuments: [200, 404, 404],
  getDocument: [200, 404, 404],
};
const FINANCE: Expected = {
  attachReceipt: [201, 403, 403],
  getReceipt: [200, 404, 404],
  uploadDocument: FORBIDDEN,
  listDocuments: FORBIDDEN,
  getDocument: FORBIDDEN,
};

const EXPECTED: Record<Role, Expected> = {
  super_admin: NATIONAL,
  national_admin: NATIONAL,
  provincial_admin: AREA,
  regional_admin: AREA,
  subregional_admin: AREA,
  ward_admin: AREA,
  finance_officer: FINANCE,
  finance_officer_ward: FINANCE,
  auditor: {
    attachReceipt: FORBIDDEN,
    getReceipt: [200, 404, 404],
    uploadDocument: FORBIDDEN,
    listDocuments: [200, 404, 404],
    getDocument: [200, 404, 404],
  },
  member: {
    attachReceipt: FORBIDDEN,
    getReceipt: FORBIDDEN,
    uploadDocument: FORBIDDEN,
    listDocuments: FORBIDDEN,
    getDocument: FORBIDDEN,
  },
};

const pdf = (): Buffer =>
  Buffer.concat([Buffer.from('%PDF-1.7\n', 'latin1'), randomBytes(256), Buffer.from('\n%%EOF\n')]);

describe('documents: authorisation matrix (e2e)', () => {
  const documentsDir = mkdtempSync(path.join(tmpdir(), 'eff-documents-matrix-'));
  let m: Matrix<Role>;
  const today = new Date().toISOString().slice(0, 10);
  /** Per place: a payment with a receipt, a meeting with one document. */
  const receipted = {} as Record<Place, string>;
  const meetings = {} as Record<Place, string>;
  const documents = {} as Record<Place, string>;

  const http = () => m.t.app.http();
  const ref = (): string => `D-${randomBytes(6).toString('hex')}`;

  async function pending(place: Place): Promise<string> {
    const res = await http()
      .post('/api/v1/payments')
      .set(...bearer(m.admin))
      .send({ memberId: m.members[place], method: 'cash', paidOn: today, reference: ref() })
      .expect(201);
    return (res.body as { id: string }).id;
  }

  beforeAll(async () => {
    m = await startMatrix(ROLES, { DOCUMENTS_DIR: documentsDir });
    for (const place of Object.keys(WARDS) as Place[]) {
      receipted[place] = await pending(place);
      await http()
        .post(`/api/v1/payments/${receipted[place]}/receipt`)
        .set(...bearer(m.admin))
        .attach('file', pdf(), 'receipt.pdf')
        .expect(201);
      const meeting = await http()
        .post('/api/v1/meetings')
        .set(...bearer(m.admin))
        .send({
          type: 'bga',
          wardCode: WARDS[place],
          scheduledOn: daysFromToday(-2),
          place: 'Hall',
        })
        .expect(201);
      meetings[place] = (meeting.body as { id: string }).id;
      const doc = await http()
        .post(`/api/v1/meetings/${meetings[place]}/documents`)
        .set(...bearer(m.admin))
        .field('kind', 'agenda')
        .attach('file', pdf(), 'agenda.pdf')
        .expect(201);
      documents[place] = (doc.body as { id: string }).id;
    }
  }, 180_000);
  afterAll(async () => {
    await m?.t.close();
    rmSync(documentsDir, { recursive: true, force: true });
  });

  it('refuses every document route without a token (401)', async () => {
    const calls = [
      http().post(`/api/v1/payments/${receipted.own}/receipt`).attach('file', pdf(), 'r.pdf'),
      http().get(`/api/v1/payments/${receipted.own}/receipt`),
      http()
        .post(`/api/v1/meetings/${meetings.own}/documents`)
        .field('kind', 'minutes')
        .attach('file', pdf(), 'm.pdf'),
      http().get(`/api/v1/meetings/${meetings.own}/documents`),
      http().get(`/api/v1/meetings/${meetings.own}/documents/${documents.own}`),
    ];
    for (const res of await Promise.all(calls)) expect(res.status).toBe(401);
  });

  it.each(ROLES)('%s', async (role) => {
    const b = bearer(m.sessions[role]);
    const perTarget = (fn: (p: Place) => Promise<number>) => m.perTarget(role, fn);
    const actual: Expected = {
      attachReceipt: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/payments/${await pending(p)}/receipt`)
              .set(...b)
              .attach('file', pdf(), 'receipt.pdf')
          ).status,
      ),
      getReceipt: await perTarget(
        async (p) =>
          (
            await http()
              .get(`/api/v1/payments/${receipted[p]}/receipt`)
              .set(...b)
          ).status,
      ),
      uploadDocument: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/meetings/${meetings[p]}/documents`)
              .set(...b)
              .field('kind', 'minutes')
              .attach('file', pdf(), 'minutes.pdf')
          ).status,
      ),
      listDocuments: await perTarget(
        async (p) =>
          (
            await http()
              .get(`/api/v1/meetings/${meetings[p]}/documents`)
              .set(...b)
          ).status,
      ),
      getDocument: await perTarget(
        async (p) =>
          (
            await http()
              .get(`/api/v1/meetings/${meetings[p]}/documents/${documents[p]}`)
              .set(...b)
          ).status,
      ),
    };
    expect(actual).toEqual(EXPECTED[role]);
  });
});
