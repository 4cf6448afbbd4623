import { startTestContext, TestContext } from '../harness/test-app.js';

describe('geography (e2e)', () => {
  let t: TestContext;

  beforeAll(async () => {
    t = await startTestContext();
  });
  afterAll(() => t.close());

  it('loaded the real geography: 9 / 52 / 213 / 4,468', async () => {
    const [row] = (
      await t.db.pool.query(
        `SELECT (SELECT count(*) FROM provinces)::int AS p, (SELECT count(*) FROM districts)::int AS d,
              (SELECT count(*) FROM municipalities)::int AS m, (SELECT count(*) FROM wards)::int AS w`,
      )
    ).rows;
    expect(row).toEqual({ p: 9, d: 52, m: 213, w: 4468 });
  });

  it('lists the nine provinces', async () => {
    const res = await t.app.http().get('/api/v1/geography/provinces').expect(200);
    expect(res.body.map((p: { code: string }) => p.code)).toEqual([
      'EC',
      'FS',
      'GP',
      'KZN',
      'LP',
      'MP',
      'NC',
      'NW',
      'WC',
    ]);
  });

  it('gives a province with its counts, case-insensitively', async () => {
    const res = await t.app.http().get('/api/v1/geography/provinces/kzn').expect(200);
    expect(res.body).toMatchObject({ code: 'KZN', name: 'KwaZulu-Natal', wardCount: 901 });
  });

  it('walks province > district > municipality > ward', async () => {
    const districts = await t.app
      .http()
      .get('/api/v1/geography/provinces/GP/districts')
      .expect(200);
    expect(districts.body.map((d: { code: string }) => d.code)).toEqual(
      expect.arrayContaining(['JHB', 'TSH', 'EKU', 'DC42', 'DC48']),
    );
    const municipalities = await t.app
      .http()
      .get('/api/v1/geography/districts/DC42/municipalities')
      .expect(200);
    expect(municipalities.body.map((m: { code: string }) => m.code)).toContain('GT421');
    const wards = await t.app
      .http()
      .get('/api/v1/geography/municipalities/LIM476/wards')
      .expect(200);
    expect(wards.body[0]).toMatchObject({
      number: 1,
      provinceCode: 'LP',
      municipalityCode: 'LIM476',
    });
  });

  it('answers a ward with its full chain', async () => {
    const res = await t.app.http().get('/api/v1/geography/wards/79800001').expect(200);
    expect(res.body).toMatchObject({
      code: '79800001',
      number: 1,
      municipality: { code: 'JHB', category: 'A' },
      district: { code: 'JHB', type: 'metropolitan' },
      province: { code: 'GP', name: 'Gauteng' },
    });
  });

  it('searches by name and by code', async () => {
    const byName = await t.app
      .http()
      .get('/api/v1/geography/search')
      .query({ q: 'Matzikama' })
      .expect(200);
    expect(byName.body).toContainEqual(
      expect.objectContaining({ level: 'municipality', code: 'WC011', provinceCode: 'WC' }),
    );
    const byCode = await t.app
      .http()
      .get('/api/v1/geography/search')
      .query({ q: 'gt421' })
      .expect(200);
    expect(byCode.body[0]).toMatchObject({ level: 'municipality', code: 'GT421' });
    const wildcard = await t.app
      .http()
      .get('/api/v1/geography/search')
      .query({ q: '%%' })
      .expect(200);
    expect(wildcard.body).toEqual([]);
  });

  it.each([
    ['/api/v1/geography/wards/7980000', 400, 'VALIDATION_FAILED'],
    ['/api/v1/geography/wards/99999999', 404, 'NOT_FOUND'],
    ['/api/v1/geography/provinces/XX', 404, 'NOT_FOUND'],
    ['/api/v1/geography/provinces/G1', 400, 'VALIDATION_FAILED'],
    ['/api/v1/geography/districts/DC999/municipalities', 400, 'VALIDATION_FAILED'],
    ['/api/v1/geography/municipalities/ZZ999/wards', 404, 'NOT_FOUND'],
    ['/api/v1/geography/search?q=a', 400, 'VALIDATION_FAILED'],
    ['/api/v1/geography/search?q=Cape&limit=500', 400, 'VALIDATION_FAILED'],
    ['/api/v1/geography/search?q=Cape&colour=red', 400, 'VALIDATION_FAILED'],
    ['/api/v1/nowhere', 404, 'ROUTE_NOT_FOUND'],
    ['/api/v1/geography/wards/%E0%A4%A', 400, 'VALIDATION_FAILED'],
  ])('GET %s answers %d problem details', async (url, status, code) => {
    const res = await t.app.http().get(url).expect(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      status,
      code,
      type: expect.stringMatching(/^urn:eff:problem:/),
    });
    expect(typeof res.body.detail).toBe('string');
    expect(res.body.requestId).toEqual(res.headers['x-request-id']);
  });
});
