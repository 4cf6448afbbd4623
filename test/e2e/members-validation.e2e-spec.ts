import { bearer, loginAsSuperAdmin, Session } from '../harness/auth.js';
import {
  createMember,
  MemberBody,
  memberInput,
  memberTableCounts,
  validIdNumber,
  withBadCheckDigit,
  WARDS,
} from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

type Method = 'get' | 'post' | 'patch';

interface Case {
  name: string;
  method: Method;
  path: (m: MemberBody) => string;
  body?: (m: MemberBody) => Record<string, unknown>;
  query?: Record<string, string>;
  status: number;
  code: string;
  field?: string;
}

const cursorOf = (values: unknown): string =>
  Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
const tomorrow = (): string => {
  const d = new Date(Date.now() + 2 * 24 * 3600 * 1000);
  return d.toISOString().slice(0, 10);
};

const create = (change: Record<string, unknown>) => () => ({ ...memberInput(), ...change });

const CASES: Case[] = [
  // POST /members
  {
    name: 'create: ID with a bad check digit',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ idNumber: withBadCheckDigit(validIdNumber()) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'idNumber',
  },
  {
    name: 'create: ID with an impossible date',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ idNumber: '8002305009082' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'idNumber',
  },
  {
    name: 'create: ID of 12 digits',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ idNumber: '800101500908' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'idNumber',
  },
  {
    name: 'create: ID as a number',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ idNumber: 8001015009087 }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'idNumber',
  },
  {
    name: 'create: unknown ward',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ wardCode: '99999999' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'wardCode',
  },
  {
    name: 'create: malformed ward',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ wardCode: 'GT421' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'wardCode',
  },
  {
    name: 'create: unknown property',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ membershipNumber: 'EFF20240000001' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'membershipNumber',
  },
  {
    name: 'create: typed-in date of birth',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ dateOfBirth: '1980-01-01' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'dateOfBirth',
  },
  {
    name: 'create: oversized surname',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ surname: 'M'.repeat(101) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'surname',
  },
  {
    name: 'create: oversized address',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ residentialAddress: 'a'.repeat(301) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'residentialAddress',
  },
  {
    name: 'create: empty first names',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ firstNames: '   ' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'firstNames',
  },
  {
    name: 'create: foreign cell number',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ cellNumber: '+44 20 7946 0958' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'cellNumber',
  },
  {
    name: 'create: bad email',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ email: 'not-an-email' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'email',
  },
  {
    name: 'create: joinedOn not a date',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ joinedOn: '2024-02-30' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'joinedOn',
  },
  {
    name: 'create: joinedOn in the future',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ joinedOn: tomorrow() }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'joinedOn',
  },
  {
    name: 'create: lastPaidOn in the future',
    method: 'post',
    path: () => '/api/v1/members',
    body: create({ lastPaidOn: tomorrow() }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'lastPaidOn',
  },
  {
    name: 'create: missing surname',
    method: 'post',
    path: () => '/api/v1/members',
    body: () => {
      const b = memberInput();
      delete b.surname;
      return b;
    },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'surname',
  },
  // GET /members
  {
    name: 'list: malformed cursor',
    method: 'get',
    path: () => '/api/v1/members',
    query: { cursor: '%%%' },
    status: 400,
    code: 'INVALID_CURSOR',
    field: 'cursor',
  },
  {
    name: 'list: cursor of another list',
    method: 'get',
    path: () => '/api/v1/members',
    query: { cursor: cursorOf(['a']) },
    status: 400,
    code: 'INVALID_CURSOR',
    field: 'cursor',
  },
  {
    name: 'list: cursor with a forged id',
    method: 'get',
    path: () => '/api/v1/members',
    query: { cursor: cursorOf(['Zulu', "1' OR '1'='1"]) },
    status: 400,
    code: 'INVALID_CURSOR',
    field: 'cursor',
  },
  {
    name: 'list: surname cursor used for joinedOn',
    method: 'get',
    path: () => '/api/v1/members',
    query: { sort: 'joinedOn', cursor: cursorOf(['Zulu', '00000000-0000-4000-8000-000000000000']) },
    status: 400,
    code: 'INVALID_CURSOR',
    field: 'cursor',
  },
  {
    name: 'list: limit 101',
    method: 'get',
    path: () => '/api/v1/members',
    query: { limit: '101' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'limit',
  },
  {
    name: 'list: unknown status',
    method: 'get',
    path: () => '/api/v1/members',
    query: { status: 'happy' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'status',
  },
  {
    name: 'list: unknown sort',
    method: 'get',
    path: () => '/api/v1/members',
    query: { sort: 'idNumber' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'sort',
  },
  {
    name: 'list: bad expiresFrom',
    method: 'get',
    path: () => '/api/v1/members',
    query: { expiresFrom: 'yesterday' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'expiresFrom',
  },
  {
    name: 'list: oversized q',
    method: 'get',
    path: () => '/api/v1/members',
    query: { q: 'x'.repeat(101) },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'q',
  },
  {
    name: 'list: two-letter q (names need 3+ for the trigram index)',
    method: 'get',
    path: () => '/api/v1/members',
    query: { q: 'xy' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'q',
  },
  {
    name: 'list: unknown parameter',
    method: 'get',
    path: () => '/api/v1/members',
    query: { idNumber: '8001015009087' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'idNumber',
  },
  // GET /members/{id}
  {
    name: 'get: malformed id',
    method: 'get',
    path: () => '/api/v1/members/123',
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'id',
  },
  {
    name: 'get: unknown id',
    method: 'get',
    path: () => '/api/v1/members/00000000-0000-4000-8000-000000000000',
    status: 404,
    code: 'NOT_FOUND',
  },
  // PATCH /members/{id}
  {
    name: 'update: no version',
    method: 'patch',
    path: (m) => `/api/v1/members/${m.id}`,
    body: () => ({ surname: 'New' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'version',
  },
  {
    name: 'update: stale version',
    method: 'patch',
    path: (m) => `/api/v1/members/${m.id}`,
    body: (m) => ({ version: m.version - 1, surname: 'New' }),
    status: 409,
    code: 'VERSION_CONFLICT',
  },
  {
    name: 'update: future version',
    method: 'patch',
    path: (m) => `/api/v1/members/${m.id}`,
    body: (m) => ({ version: m.version + 5, surname: 'New' }),
    status: 409,
    code: 'VERSION_CONFLICT',
  },
  {
    name: 'update: ward (transfer does that)',
    method: 'patch',
    path: (m) => `/api/v1/members/${m.id}`,
    body: (m) => ({ version: m.version, wardCode: WARDS.siblingWard }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'wardCode',
  },
  {
    name: 'update: ID number',
    method: 'patch',
    path: (m) => `/api/v1/members/${m.id}`,
    body: (m) => ({ version: m.version, idNumber: validIdNumber() }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'idNumber',
  },
  {
    name: 'update: status',
    method: 'patch',
    path: (m) => `/api/v1/members/${m.id}`,
    body: (m) => ({ version: m.version, status: 'active' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'status',
  },
  {
    name: 'update: oversized first names',
    method: 'patch',
    path: (m) => `/api/v1/members/${m.id}`,
    body: (m) => ({ version: m.version, firstNames: 'x'.repeat(101) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'firstNames',
  },
  {
    name: 'update: bad cell',
    method: 'patch',
    path: (m) => `/api/v1/members/${m.id}`,
    body: (m) => ({ version: m.version, cellNumber: '12345' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'cellNumber',
  },
  {
    name: 'update: unknown member',
    method: 'patch',
    path: () => '/api/v1/members/00000000-0000-4000-8000-000000000000',
    body: () => ({ version: 1, surname: 'X' }),
    status: 404,
    code: 'NOT_FOUND',
  },
  // POST /members/{id}/status
  {
    name: 'status: unknown action',
    method: 'post',
    path: (m) => `/api/v1/members/${m.id}/status`,
    body: () => ({ action: 'expel', reason: 'x' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'action',
  },
  {
    name: 'status: no reason',
    method: 'post',
    path: (m) => `/api/v1/members/${m.id}/status`,
    body: () => ({ action: 'suspend' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'reason',
  },
  {
    name: 'status: oversized reason',
    method: 'post',
    path: (m) => `/api/v1/members/${m.id}/status`,
    body: () => ({ action: 'suspend', reason: 'r'.repeat(501) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'reason',
  },
  {
    name: 'status: reinstate an active member',
    method: 'post',
    path: (m) => `/api/v1/members/${m.id}/status`,
    body: () => ({ action: 'reinstate', reason: 'x' }),
    status: 409,
    code: 'INVALID_STATUS_TRANSITION',
  },
  // POST /members/{id}/renewals
  {
    name: 'renew: future payment',
    method: 'post',
    path: (m) => `/api/v1/members/${m.id}/renewals`,
    body: () => ({ reason: 'Manual renewal in test', paidOn: tomorrow(), reference: 'FUT-1' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'paidOn',
  },
  {
    name: 'renew: no reference',
    method: 'post',
    path: (m) => `/api/v1/members/${m.id}/renewals`,
    body: () => ({ reason: 'Manual renewal in test', paidOn: '2025-01-01' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'reference',
  },
  {
    name: 'renew: oversized reference',
    method: 'post',
    path: (m) => `/api/v1/members/${m.id}/renewals`,
    body: () => ({
      reason: 'Manual renewal in test',
      paidOn: '2025-01-01',
      reference: 'R'.repeat(65),
    }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'reference',
  },
  {
    name: 'renew: negative amount',
    method: 'post',
    path: (m) => `/api/v1/members/${m.id}/renewals`,
    body: () => ({
      reason: 'Manual renewal in test',
      paidOn: '2025-01-01',
      reference: 'NEG-1',
      amountCents: -100,
    }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'amountCents',
  },
  {
    name: 'renew: amount in rands as a string',
    method: 'post',
    path: (m) => `/api/v1/members/${m.id}/renewals`,
    body: () => ({
      reason: 'Manual renewal in test',
      paidOn: '2025-01-01',
      reference: 'STR-1',
      amountCents: 'R10',
    }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'amountCents',
  },
  {
    name: 'renew: not a date',
    method: 'post',
    path: (m) => `/api/v1/members/${m.id}/renewals`,
    body: () => ({ reason: 'Manual renewal in test', paidOn: '01/01/2025', reference: 'DATE-1' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'paidOn',
  },
  // POST /members/{id}/transfer
  {
    name: 'transfer: unknown ward',
    method: 'post',
    path: (m) => `/api/v1/members/${m.id}/transfer`,
    body: () => ({ toWardCode: '99999999' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'toWardCode',
  },
  {
    name: 'transfer: malformed ward',
    method: 'post',
    path: (m) => `/api/v1/members/${m.id}/transfer`,
    body: () => ({ toWardCode: 'JHB' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'toWardCode',
  },
  {
    name: 'transfer: to the same ward',
    method: 'post',
    path: (m) => `/api/v1/members/${m.id}/transfer`,
    body: (m) => ({ toWardCode: m.wardCode }),
    status: 409,
    code: 'CONFLICT',
  },
  {
    name: 'transfer: oversized reason',
    method: 'post',
    path: (m) => `/api/v1/members/${m.id}/transfer`,
    body: () => ({ toWardCode: WARDS.siblingWard, reason: 'r'.repeat(501) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'reason',
  },
  // GET /members/{id}/history
  {
    name: 'history: malformed cursor',
    method: 'get',
    path: (m) => `/api/v1/members/${m.id}/history`,
    query: { cursor: cursorOf(['abc']) },
    status: 400,
    code: 'INVALID_CURSOR',
    field: 'cursor',
  },
  {
    name: 'history: unknown order',
    method: 'get',
    path: (m) => `/api/v1/members/${m.id}/history`,
    query: { order: 'random' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'order',
  },
  // applications (admin routes)
  {
    name: 'applications: malformed id',
    method: 'get',
    path: () => '/api/v1/applications/nope',
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'id',
  },
  {
    name: 'applications: unknown status filter',
    method: 'get',
    path: () => '/api/v1/applications',
    query: { status: 'pending' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'status',
  },
  {
    name: 'applications: approve unknown',
    method: 'post',
    path: () => '/api/v1/applications/00000000-0000-4000-8000-000000000000/approve',
    status: 404,
    code: 'NOT_FOUND',
  },
];

describe('members: bad input (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let member: MemberBody;

  beforeAll(async () => {
    t = await startTestContext();
    admin = await loginAsSuperAdmin(t.app);
    const created = await createMember(t.app, admin, { wardCode: WARDS.own });
    // one real edit, so version - 1 is a stale version a client could really hold
    const edited = await t.app
      .http()
      .patch(`/api/v1/members/${created.id}`)
      .set(...bearer(admin))
      .send({ version: created.version, surname: 'Edited' })
      .expect(200);
    member = edited.body as MemberBody;
  });
  afterAll(() => t?.close());

  const row = async () =>
    (await t.db.pool.query('SELECT * FROM members WHERE id = $1', [member.id])).rows[0];

  it.each(CASES.map((c) => [c.name, c] as const))(
    '%s: problem details, database unchanged',
    async (_name, c) => {
      const counts = await memberTableCounts(t.db.pool);
      const before = await row();
      let req = t.app
        .http()
        [c.method](c.path(member))
        .set(...bearer(admin));
      if (c.query) req = req.query(c.query);
      const res = c.body ? await req.send(c.body(member)) : await req;
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: c.status,
        code: c.code,
      });
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({
        status: c.status,
        title: expect.any(String),
        detail: expect.any(String),
      });
      if (c.field) {
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(c.field);
      }
      expect(JSON.stringify(res.body)).not.toContain('QueryFailedError');
      expect(await memberTableCounts(t.db.pool)).toEqual(counts);
      expect(await row()).toEqual(before);
    },
  );
});
