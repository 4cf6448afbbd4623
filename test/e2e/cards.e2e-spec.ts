import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nextIp } from '../harness/accounts.js';
import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { claimedMember } from '../harness/portal.js';
import { createMember, WARDS } from '../harness/members.js';
import { readPdf } from '../harness/pdf.js';
import { createTestDatabase, RunningApp, startApp, TestDatabase } from '../harness/test-app.js';

/** A ward no other test of this file uses: the bulk print counts exactly its members. */
const BULK_WARD = '74201003';
const b64u = (v: Buffer | string): string => Buffer.from(v).toString('base64url');
/** The same signature with one bit changed (editing base64url text can leave the bytes as they were). */
const flipFirstBit = (segment: string): string => {
  const bytes = Buffer.from(segment, 'base64url');
  bytes[0]! ^= 1;
  return b64u(bytes);
};
const newKeyPem = (): string =>
  generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const today = (): string => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number): string =>
  new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
function addMonths(date: string, months: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
}

describe('membership cards (e2e)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let admin: Session;
  let keysDir: string;
  const base = {
    AUTH_THROTTLE_LIMIT: '100',
    MESSAGING_DISPATCH_INTERVAL_MS: '0',
    STATUS_RECALC_CRON: 'off',
    CARD_VERIFY_THROTTLE_LIMIT: '5',
    CARD_KEY_GRACE_DAYS: '30',
  };

  beforeAll(async () => {
    keysDir = mkdtempSync(path.join(os.tmpdir(), 'eff-card-keys-'));
    writeFileSync(path.join(keysDir, 'k1.pem'), newKeyPem(), { mode: 0o600 });
    db = await createTestDatabase();
    app = await startApp(db, { ...base, CARD_KEYS_DIR: keysDir });
    admin = await loginAsSuperAdmin(app);
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    rmSync(keysDir, { recursive: true, force: true });
  });

  async function restart(env: Record<string, string>): Promise<void> {
    await app.stop();
    app = await startApp(db, { ...base, CARD_KEYS_DIR: keysDir, ...env });
    admin = await loginAsSuperAdmin(app);
  }

  function pdf(url: string, session: Session) {
    return app
      .http()
      .get(url)
      .set(...bearer(session))
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
  }

  /** The tokens of a card PDF, page by page, and its text. */
  async function cardsIn(body: Buffer): Promise<{ text: string; pages: string[][] }> {
    const read = await readPdf(body);
    return { text: read.pages.join('\n'), pages: read.qrCodes };
  }

  async function verify(token: string): Promise<Record<string, unknown>> {
    const res = await app
      .http()
      .get('/api/v1/cards/verify')
      .set('x-forwarded-for', nextIp())
      .query({ token })
      .expect(200);
    return res.body as Record<string, unknown>;
  }
  const resultOf = async (token: string): Promise<unknown> => (await verify(token)).result;

  async function myCardToken(session: Session): Promise<string> {
    const res = await pdf('/api/v1/me/card', session).expect(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const { pages } = await cardsIn(res.body as Buffer);
    expect(pages.flat()).toHaveLength(1);
    return pages.flat()[0]!;
  }

  async function adminCardToken(memberId: string, session = admin): Promise<string> {
    const res = await pdf(`/api/v1/members/${memberId}/card`, session).expect(200);
    return (await cardsIn(res.body as Buffer)).pages.flat()[0]!;
  }

  it('claim → my card as a PDF (text and QR read back) → valid → suspended → revoked; a new card is refused', async () => {
    const { member, session } = await claimedMember(app, db, admin, {
      firstNames: 'Thandiwe Naledi',
      surname: 'Mokoena',
    });
    const res = await pdf('/api/v1/me/card', session).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const { text, pages } = await cardsIn(res.body as Buffer);
    expect(text).toContain('Thandiwe Naledi Mokoena');
    expect(text).toContain(member.membershipNumber);
    expect(text).toContain(WARDS.own);
    expect(text).toContain('Status: Active');
    expect(text).toContain(`Expires: ${member.expiresOn}`);
    expect(text).not.toContain(member.idNumber);
    const token = pages.flat()[0]!;
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((s) => JSON.parse(Buffer.from(s, 'base64url').toString()) as Record<string, unknown>);
    expect(header).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: 'k1' });
    expect(Object.keys(payload!).sort()).toEqual(['exp', 'iat', 'sn']);

    const answer = await verify(token);
    expect(answer).toEqual({
      result: 'valid',
      initials: 'TN',
      surnameInitial: 'M',
      wardName: expect.stringContaining('Ward') as unknown,
      expiresOn: member.expiresOn,
    });
    expect(JSON.stringify(answer)).not.toMatch(/\d{13}|\+27/);
    // Downloading again gives the same card: no new record.
    expect(await myCardToken(session)).toBe(token);
    const { rows: cards } = await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM membership_cards WHERE member_id = $1',
      [member.id],
    );
    expect(cards[0]!.n).toBe(1);

    await app
      .http()
      .post(`/api/v1/members/${member.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'suspend', reason: 'Disciplinary hearing' })
      .expect(200);
    expect(await verify(token)).toEqual({
      result: 'revoked',
      initials: null,
      surnameInitial: null,
      wardName: null,
      expiresOn: null,
    });
    const { rows } = await db.pool.query<{ revocation: string; reason: string }>(
      'SELECT revocation, reason FROM membership_cards WHERE member_id = $1',
      [member.id],
    );
    expect(rows).toEqual([{ revocation: 'status', reason: 'status suspended' }]);
    const refused = await app
      .http()
      .get('/api/v1/me/card')
      .set(...bearer(session))
      .expect(409);
    expect(refused.body).toMatchObject({ code: 'MEMBER_INELIGIBLE' });
    const byAdmin = await app
      .http()
      .get(`/api/v1/members/${member.id}/card`)
      .set(...bearer(admin))
      .expect(409);
    expect(byAdmin.body).toMatchObject({ code: 'MEMBER_INELIGIBLE', currentStatus: 'suspended' });

    // Reinstated: the old card stays revoked, a new one is valid.
    await app
      .http()
      .post(`/api/v1/members/${member.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'reinstate', reason: 'Hearing closed' })
      .expect(200);
    expect(await resultOf(token)).toBe('revoked');
    const fresh = await myCardToken(session);
    expect(fresh).not.toBe(token);
    expect(await resultOf(fresh)).toBe('valid');
  });

  it('audits issuing and every verification, without the verifier (no IP, actor or request id), folded into one row per province and flush', async () => {
    const m = await createMember(app, admin);
    const token = await adminCardToken(m.id);
    const before = new Date();
    await verify(token);
    await verify(token);
    await verify('not-a-card');
    const { rows: issued } = await db.pool.query<{ changes: { kid: string } }>(
      "SELECT changes FROM audit_events WHERE action = 'member.card_issued' AND entity_id = $1",
      [m.id],
    );
    expect(issued[0]!.changes.kid).toBe('k1');
    const serial = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      sn: number;
    };
    const verifications = async (where: string, values: unknown[]) =>
      (
        await db.pool.query<Record<string, unknown> & { entry: { at: string } }>(
          `SELECT a.ip, a.actor_user_id, a.request_id, a.entity_id, a.province_code, e.entry
             FROM audit_events a, jsonb_array_elements(a.changes -> 'entries') e(entry)
            WHERE a.action = 'card.verified' AND ${where}`,
          values,
        )
      ).rows;
    const deadline = Date.now() + 5_000;
    let rows: Awaited<ReturnType<typeof verifications>> = [];
    while (rows.length < 2 && Date.now() < deadline) {
      rows = await verifications("e.entry ->> 'entityId' = $1", [String(serial.sn)]);
      if (rows.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toEqual({
        ip: null,
        actor_user_id: null,
        request_id: null,
        entity_id: null,
        province_code: 'GP',
        entry: { at: expect.any(String) as string, entityId: String(serial.sn), result: 'valid' },
      });
      expect(new Date(row.entry.at).getTime()).toBeGreaterThanOrEqual(before.getTime());
    }
    const unknown = await verifications(
      "a.province_code IS NULL AND e.entry ->> 'entityId' IS NULL AND (e.entry ->> 'at')::timestamptz >= $1",
      [before],
    );
    expect(unknown.map((row) => row.entry)).toContainEqual({
      at: expect.any(String) as string,
      entityId: null,
      result: 'unknown',
    });
  });

  it('revokes on a transfer, on an admin revocation (a new card can follow), and answers expired when the membership lapses', async () => {
    const moved = await createMember(app, admin);
    const movedToken = await adminCardToken(moved.id);
    expect(await resultOf(movedToken)).toBe('valid');
    await app
      .http()
      .post(`/api/v1/members/${moved.id}/transfer`)
      .set(...bearer(admin))
      .send({ toWardCode: WARDS.siblingWard, reason: 'Moved house' })
      .expect(200);
    expect(await resultOf(movedToken)).toBe('revoked');
    const newWard = await adminCardToken(moved.id);
    expect(await verify(newWard)).toMatchObject({ result: 'valid' });

    const lost = await createMember(app, admin);
    const lostToken = await adminCardToken(lost.id);
    const revoked = await app
      .http()
      .post(`/api/v1/members/${lost.id}/card/revoke`)
      .set(...bearer(admin))
      .send({ reason: 'Card reported lost' })
      .expect(200);
    expect(revoked.body).toEqual({ revoked: 1 });
    expect(await resultOf(lostToken)).toBe('revoked');
    const replacement = await adminCardToken(lost.id);
    expect(await resultOf(replacement)).toBe('valid');
    await app
      .http()
      .post(`/api/v1/members/${lost.id}/card/revoke`)
      .set(...bearer(admin))
      .send({ reason: 'x' })
      .expect(400);

    // A Grace Period member gets a card; the daily recalculation moving them to Expired revokes it as expired.
    const grace = await createMember(app, admin, {
      joinedOn: '2020-01-01',
      lastPaidOn: addMonths(today(), -25),
    });
    expect(grace.status).toBe('grace_period');
    const graceToken = await adminCardToken(grace.id);
    expect(await resultOf(graceToken)).toBe('valid');
    await db.pool.query("UPDATE members SET expires_on = '2021-01-01' WHERE id = $1", [grace.id]);
    await app
      .http()
      .post('/api/v1/members/status-recalculations')
      .set(...bearer(admin))
      .expect((r) => expect([200, 201]).toContain(r.status));
    expect(await verify(graceToken)).toMatchObject({
      result: 'expired',
      surnameInitial: grace.surname[0],
    });
    const expired = await app
      .http()
      .get(`/api/v1/members/${grace.id}/card`)
      .set(...bearer(admin))
      .expect(409);
    expect(expired.body).toMatchObject({ code: 'MEMBER_INELIGIBLE', currentStatus: 'expired' });
  });

  it('never answers valid for forged, tampered, truncated, re-signed or alg=none tokens; a bad parameter is 400', async () => {
    const m = await createMember(app, admin);
    const token = await adminCardToken(m.id);
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, number>;
    const other = generateKeyPairSync('ed25519').privateKey;
    const resign = (header: object, payload: object, key = other): string => {
      const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
      return `${input}.${b64u(sign(null, Buffer.from(input), key))}`;
    };
    const forged = [
      `${h}.${b64u(JSON.stringify({ ...claims, sn: claims.sn! + 1 }))}.${s}`, // payload swapped
      `${h}.${b64u(JSON.stringify({ ...claims, exp: claims.exp! + 86_400 }))}.${s}`, // validity stretched
      `${h}.${p}.${flipFirstBit(s)}`, // signature altered
      token.slice(0, -10), // truncated
      `${h}.${p}`, // signature dropped
      `${h}.${p}.`,
      resign({ alg: 'EdDSA', typ: 'JWT', kid: 'k1' }, claims), // re-signed by another key, our kid
      resign({ alg: 'EdDSA', typ: 'JWT', kid: 'attacker' }, claims), // an unknown kid
      `${b64u(JSON.stringify({ alg: 'none', typ: 'JWT', kid: 'k1' }))}.${p}.`, // alg none
      `${b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'k1' }))}.${p}.${b64u(
        createHmac('sha256', 'k1').update(`x.${p}`).digest(),
      )}`,
      'not a token',
      'https://example.org/card/123',
    ];
    for (const bad of forged) {
      expect({ bad, answer: await verify(bad) }).toEqual({
        bad,
        answer: {
          result: 'unknown',
          initials: null,
          surnameInitial: null,
          wardName: null,
          expiresOn: null,
        },
      });
    }
    expect(await resultOf(token)).toBe('valid');
    const missing = await app
      .http()
      .get('/api/v1/cards/verify')
      .set('x-forwarded-for', nextIp())
      .expect(400);
    expect(missing.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    await app
      .http()
      .get('/api/v1/cards/verify')
      .set('x-forwarded-for', nextIp())
      .query({ token: 'a'.repeat(3000) })
      .expect(400);
  });

  it('throttles verification per address with its own limit (429 with Retry-After)', async () => {
    const ip = nextIp();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const res = await app
        .http()
        .get('/api/v1/cards/verify')
        .set('x-forwarded-for', ip)
        .query({ token: 'x.y.z' });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    // another address is not affected
    expect(await resultOf('x.y.z')).toBe('unknown');
  });

  it("verification counts only against its own limit, not the address's default one", async () => {
    const ip = nextIp();
    const remaining = async (): Promise<number> => {
      const res = await app
        .http()
        .get('/api/v1/geography/provinces')
        .set('x-forwarded-for', ip)
        .expect(200);
      return Number(res.headers['x-ratelimit-remaining']);
    };
    const before = await remaining();
    for (let i = 0; i < 3; i += 1) {
      await app
        .http()
        .get('/api/v1/cards/verify')
        .set('x-forwarded-for', ip)
        .query({ token: 'x.y.z' })
        .expect(200);
    }
    expect(await remaining()).toBe(before - 1);
  });

  it("prints a ward's cards 8 per A4 page, every QR verifies; outside the admin's area: 404", async () => {
    const names: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const m = await createMember(app, admin, {
        wardCode: BULK_WARD,
        surname: `Bulk${String.fromCharCode(97 + i)}`,
      });
      names.push(m.membershipNumber);
    }
    const suspended = await createMember(app, admin, {
      wardCode: BULK_WARD,
      surname: 'Suspendedone',
    });
    await app
      .http()
      .post(`/api/v1/members/${suspended.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'suspend', reason: 'Not on the cards' })
      .expect(200);
    const wardAdmin = await createUser(app, admin, 'ward_admin', 'ward', BULK_WARD);
    const res = await pdf(`/api/v1/wards/${BULK_WARD}/cards`, wardAdmin).expect(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const read = await readPdf(res.body as Buffer);
    expect(read.qrCodes.map((page) => page.length)).toEqual([8, 2]);
    const all = read.qrCodes.flat();
    expect(new Set(all).size).toBe(10);
    for (const token of all) expect(await resultOf(token)).toBe('valid');
    const text = read.pages.join('\n');
    for (const number of names) expect(text).toContain(number);
    expect(text).not.toContain('Suspendedone');
    // printing again issues nothing new
    await pdf(`/api/v1/wards/${BULK_WARD}/cards`, wardAdmin).expect(200);
    const { rows } = await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM membership_cards WHERE ward_code = $1',
      [BULK_WARD],
    );
    expect(rows[0]!.n).toBe(10);

    const outside = await createMember(app, admin, { wardCode: WARDS.otherProvince });
    await app
      .http()
      .get(`/api/v1/members/${outside.id}/card`)
      .set(...bearer(wardAdmin))
      .expect(404);
    await app
      .http()
      .get(`/api/v1/wards/${WARDS.otherProvince}/cards`)
      .set(...bearer(wardAdmin))
      .expect(404);
    await app
      .http()
      .post(`/api/v1/members/${outside.id}/card/revoke`)
      .set(...bearer(wardAdmin))
      .send({ reason: 'Not mine to revoke' })
      .expect(404);
    await app
      .http()
      .get('/api/v1/wards/99999999/cards')
      .set(...bearer(admin))
      .expect(404);
    await app
      .http()
      .get('/api/v1/wards/abc/cards')
      .set(...bearer(admin))
      .expect(400);
  });

  it('rotates keys: the new key signs, old cards verify within the grace period and are refused after it', async () => {
    const m = await createMember(app, admin);
    const oldToken = await adminCardToken(m.id);
    const jwks1 = await app.http().get('/api/v1/cards/keys').expect(200);
    expect(jwks1.headers['cache-control']).toBe('public, max-age=300');
    expect((jwks1.body as { keys: { kid: string; kty: string; crv: string }[] }).keys).toEqual([
      expect.objectContaining({ kid: 'k1', kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' }),
    ]);

    // step 1: publish k2 (verifies, does not sign yet)
    writeFileSync(path.join(keysDir, 'k2.pem'), newKeyPem(), { mode: 0o600 });
    await restart({ CARD_SIGNING_KID: 'k1' });
    expect(await resultOf(oldToken)).toBe('valid');
    // step 2: k2 signs, k1 retired today: old cards still valid (grace), new cards signed by k2
    await restart({ CARD_SIGNING_KID: 'k2', CARD_RETIRED_KEYS: `k1:${today()}` });
    expect(await resultOf(oldToken)).toBe('valid');
    const newToken = await adminCardToken(m.id);
    expect(JSON.parse(Buffer.from(newToken.split('.')[0]!, 'base64url').toString())).toMatchObject({
      kid: 'k2',
    });
    expect(await resultOf(newToken)).toBe('valid');
    const kids = (b: unknown): string[] =>
      (b as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
    expect(kids((await app.http().get('/api/v1/cards/keys').expect(200)).body)).toEqual([
      'k1',
      'k2',
    ]);
    // step 3: past the grace period, k1 is refused and no longer published
    await restart({ CARD_SIGNING_KID: 'k2', CARD_RETIRED_KEYS: `k1:${daysAgo(31)}` });
    expect(await resultOf(oldToken)).toBe('unknown');
    expect(await resultOf(newToken)).toBe('valid');
    expect(kids((await app.http().get('/api/v1/cards/keys').expect(200)).body)).toEqual(['k2']);
  }, 180_000);
});
