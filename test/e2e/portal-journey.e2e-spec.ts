import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nextIp } from '../harness/accounts.js';
import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { claimedMember } from '../harness/portal.js';
import { WARDS } from '../harness/members.js';
import { readPdf } from '../harness/pdf.js';
import { createTestDatabase, RunningApp, startApp, TestDatabase } from '../harness/test-app.js';

/**
 * Issue #22's whole journey in one member's life, through the public API only: claim the account → sign in → read
 * and update my record → ask for a transfer that the destination ward's admin approves → my card (PDF, QR read
 * back) → verified `valid` in the new ward → suspended → verified `revoked`.
 */
describe('member portal: the whole journey (e2e)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let admin: Session;
  let keysDir: string;

  beforeAll(async () => {
    keysDir = mkdtempSync(path.join(os.tmpdir(), 'eff-journey-keys-'));
    const key = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' });
    writeFileSync(path.join(keysDir, 'j1.pem'), key, { mode: 0o600 });
    db = await createTestDatabase();
    app = await startApp(db, {
      CARD_KEYS_DIR: keysDir,
      MESSAGING_DISPATCH_INTERVAL_MS: '0',
      STATUS_RECALC_CRON: 'off',
      AUTH_THROTTLE_LIMIT: '100',
    });
    admin = await loginAsSuperAdmin(app);
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    rmSync(keysDir, { recursive: true, force: true });
  });

  const http = () => app.http();
  const verify = async (token: string) =>
    (
      await http()
        .get('/api/v1/cards/verify')
        .set('x-forwarded-for', nextIp())
        .query({ token })
        .expect(200)
    ).body as Record<string, unknown>;

  it('claim → my record → transfer approved by the destination ward → card valid → suspended → revoked', async () => {
    const { member, session } = await claimedMember(app, db, admin, {
      wardCode: WARDS.own,
      firstNames: 'Lerato',
      surname: 'Dlamini',
    });
    const me = async (s: Session = session) =>
      (
        await http()
          .get('/api/v1/me/membership')
          .set(...bearer(s))
          .expect(200)
      ).body as {
        member: { id: string; version: number; cellNumber: string; wardCode: string };
        ward: { code: string; name: string };
      };

    const mine = await me();
    expect(mine.member.id).toBe(member.id);
    expect(mine.ward.code).toBe(WARDS.own);
    const updated = await http()
      .patch('/api/v1/me/contact')
      .set(...bearer(session))
      .send({ version: mine.member.version, cellNumber: '0825550199' })
      .expect(200);
    expect(updated.body).toMatchObject({ cellNumber: '+27825550199' });

    const asked = await http()
      .post('/api/v1/me/transfer-requests')
      .set(...bearer(session))
      .send({ toWardCode: WARDS.siblingMunicipality, reason: 'Moved to Midvaal' })
      .expect(201);
    const destinationAdmin = await createUser(
      app,
      admin,
      'ward_admin',
      'ward',
      WARDS.siblingMunicipality,
    );
    await http()
      .post(`/api/v1/transfer-requests/${(asked.body as { id: string }).id}/approve`)
      .set(...bearer(destinationAdmin))
      .send({ reason: 'Welcome' })
      .expect(200);
    const moved = await me();
    expect(moved.ward.code).toBe(WARDS.siblingMunicipality);
    expect(moved.member.cellNumber).toBe('+27825550199');

    const card = await http()
      .get('/api/v1/me/card')
      .set(...bearer(session))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    const pdf = await readPdf(card.body as Buffer);
    expect(pdf.pages.join('\n')).toContain('Lerato Dlamini');
    expect(pdf.pages.join('\n')).toContain(WARDS.siblingMunicipality);
    const token = pdf.qrCodes.flat()[0]!;
    expect(await verify(token)).toMatchObject({
      result: 'valid',
      initials: 'L',
      surnameInitial: 'D',
      wardName: expect.stringContaining('Midvaal') as unknown,
      expiresOn: member.expiresOn,
    });

    // The destination ward's admin now manages the member: suspension revokes the card at once.
    await http()
      .post(`/api/v1/members/${member.id}/status`)
      .set(...bearer(destinationAdmin))
      .send({ action: 'suspend', reason: 'Disciplinary hearing' })
      .expect(200);
    expect((await verify(token)).result).toBe('revoked');
  });
});
