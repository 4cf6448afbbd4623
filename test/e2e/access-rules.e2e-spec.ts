import { randomUUID } from 'node:crypto';
import {
  accessQuery,
  accessRefusal,
  AccessMode,
  AccessResource,
  AccessRow,
} from '../../libs/auth/src/access/access-rules.js';
import { Scope, ScopeLevel } from '../../libs/auth/src/scope.js';
import { insertApplication, WARDS } from '../harness/members.js';
import { createTestDatabase, TestDatabase } from '../harness/test-app.js';

/**
 * The access check behind AccessService.require, run on the migrated, seeded database: one query for a set of
 * ids, then the rules table's verdict (reads outside the scope 404; writes 404 or 403 by resource).
 */
describe('access rules (e2e)', () => {
  let db: TestDatabase;
  let gtBct: string;
  let lpBct: string;
  let cct: string;
  let gtApplication: string;
  let lpApplication: string;
  const gauteng: Scope = { level: ScopeLevel.Province, code: 'GP' };
  const national: Scope = { level: ScopeLevel.National, code: null };

  async function check(
    scope: Scope | null,
    resource: AccessResource,
    mode: AccessMode,
    ids: string[],
  ): Promise<ReturnType<typeof accessRefusal>> {
    const { text, values } = accessQuery(scope, resource, ids);
    const { rows } = await db.pool.query<AccessRow>(text, values);
    return accessRefusal(resource, mode, ids, rows);
  }

  async function structure(kind: string, areaCode: string | null): Promise<string> {
    const { rows } = await db.pool.query<{ id: string }>(
      'SELECT id FROM leadership_structures WHERE kind = $1 AND ($2::varchar IS NULL OR area_code = $2)',
      [kind, areaCode],
    );
    if (!rows[0]) throw new Error(`no ${kind} ${areaCode ?? ''} in the seed`);
    return rows[0].id;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    gtBct = await structure('bct', WARDS.own);
    lpBct = await structure('bct', WARDS.otherProvince);
    cct = await structure('cct', null);
    gtApplication = await insertApplication(db.pool, WARDS.own);
    lpApplication = await insertApplication(db.pool, WARDS.otherProvince);
  });
  afterAll(() => db.drop());

  it('lets a set of ids through only when every one lies inside the scope', async () => {
    expect(await check(gauteng, AccessResource.Structure, 'read', [gtBct])).toBeNull();
    expect(await check(gauteng, AccessResource.Structure, 'read', [gtBct, lpBct])).toEqual({
      status: 404,
      what: `Structure ${lpBct}`,
    });
    expect(
      await check(national, AccessResource.Structure, 'write', [gtBct, lpBct, cct]),
    ).toBeNull();
  });

  it('answers a read outside the scope as if the record did not exist', async () => {
    const missing = randomUUID();
    expect(await check(gauteng, AccessResource.Application, 'read', [lpApplication])).toEqual({
      status: 404,
      what: `Application ${lpApplication}`,
    });
    expect(await check(gauteng, AccessResource.Application, 'read', [missing])).toEqual({
      status: 404,
      what: `Application ${missing}`,
    });
  });

  it('answers a write outside the scope as the rules table says: 404 for applications, 403 for structures', async () => {
    expect(await check(gauteng, AccessResource.Application, 'write', [gtApplication])).toBeNull();
    expect(await check(gauteng, AccessResource.Application, 'write', [lpApplication])).toEqual({
      status: 404,
      what: `Application ${lpApplication}`,
    });
    expect(await check(gauteng, AccessResource.Structure, 'write', [lpBct])).toMatchObject({
      status: 403,
    });
    // national structures (no area) only with a national scope
    expect(await check(gauteng, AccessResource.Structure, 'write', [cct])).toMatchObject({
      status: 403,
    });
    const missing = randomUUID();
    expect(await check(gauteng, AccessResource.Structure, 'write', [missing])).toEqual({
      status: 404,
      what: `Structure ${missing}`,
    });
  });

  it('payments: a read outside the scope is 404, a write outside it 403, a missing one 404', async () => {
    const payment = async (wardCode: string): Promise<string> => {
      const { rows } = await db.pool.query<{ id: string }>(
        `INSERT INTO payments (application_id, method, provider, reference, amount_cents, paid_on,
                               ward_code, municipality_code, district_code, province_code)
         SELECT gen_random_uuid(), 'cash', 'cash', gen_random_uuid()::text, 1000, current_date,
                w.code, w.municipality_code, w.district_code, w.province_code
           FROM wards w WHERE w.code = $1 RETURNING id`,
        [wardCode],
      );
      return rows[0]?.id ?? '';
    };
    const gt = await payment(WARDS.own);
    const lp = await payment(WARDS.otherProvince);
    expect(await check(gauteng, AccessResource.Payment, 'read', [gt])).toBeNull();
    expect(await check(gauteng, AccessResource.Payment, 'write', [gt])).toBeNull();
    expect(await check(gauteng, AccessResource.Payment, 'read', [lp])).toEqual({
      status: 404,
      what: `Payment ${lp}`,
    });
    expect(await check(gauteng, AccessResource.Payment, 'write', [lp])).toEqual({
      status: 403,
      message: 'This payment is outside your area',
    });
    const missing = randomUUID();
    expect(await check(gauteng, AccessResource.Payment, 'write', [missing])).toEqual({
      status: 404,
      what: `Payment ${missing}`,
    });
    expect(await check(national, AccessResource.Payment, 'write', [gt, lp])).toBeNull();
  });

  it('fails closed on a missing or malformed scope', async () => {
    for (const scope of [null, { level: ScopeLevel.Province, code: null }]) {
      expect(await check(scope, AccessResource.Structure, 'read', [gtBct])).toMatchObject({
        status: 404,
      });
    }
  });

  it('locks the rows it checks when asked (FOR UPDATE)', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const { text, values } = accessQuery(gauteng, AccessResource.Structure, [gtBct], true);
      await client.query(text, values);
      await expect(
        db.pool.query('SELECT id FROM leadership_structures WHERE id = $1 FOR UPDATE NOWAIT', [
          gtBct,
        ]),
      ).rejects.toMatchObject({ code: '55P03' });
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
