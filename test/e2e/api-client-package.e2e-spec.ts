import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt, signJwt } from '../harness/jwt.js';
import { validIdNumber, WARDS } from '../harness/members.js';
import { startTestContext, TEST_ADMIN, TEST_JWT_SECRET, TestContext } from '../harness/test-app.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');

/** A separate strict TypeScript project that knows the API only through the packed tarball. */
const CONSUMER = String.raw`
import {
  createApiClient,
  DomainEventType,
  memorySession,
  REALTIME_EVENT_TYPES,
  REALTIME_NAMESPACE,
  REALTIME_PATH,
  SESSION_ENDED_EVENT,
  type ProblemDetails,
  type RealtimeMessage,
  type RealtimeServerEvents,
  type TokenPair,
} from '@eff/membership-api-client';

const [baseUrl, email, password, expiredAccessToken, refreshToken, idNumber, wardCode] = process.argv.slice(2) as [
  string, string, string, string, string, string, string,
];

let refreshCalls = 0;
const countingFetch = (request: Request): Promise<Response> => {
  if (new URL(request.url).pathname === '/api/v1/auth/refresh') refreshCalls += 1;
  return fetch(request);
};

// Realtime: the event map types a socket.io-client Socket<RealtimeServerEvents>; checked by tsc here.
const onMemberCreated: RealtimeServerEvents['member.created'] = (message) => {
  const created: RealtimeMessage<'member.created'> = message;
  void created.data.membershipNumber.toUpperCase();
};
const onSessionEnded: RealtimeServerEvents['session.ended'] = ({ reason }) => {
  const expected: 'expired' | 'revoked' = reason;
  void expected;
};
void onMemberCreated;
void onSessionEnded;

async function main(): Promise<Record<string, unknown>> {
  const anonymous = createApiClient(baseUrl);
  const login = await anonymous.POST('/api/v1/auth/login', { body: { email, password } });
  if (!login.data) throw new Error('sign-in: ' + JSON.stringify(login.error));
  // An account with TOTP answers a challenge instead of tokens (POST /auth/mfa/verify); this one has none.
  if (!('accessToken' in login.data)) throw new Error('sign-in asked for a second factor');
  const session = memorySession(login.data);
  const api = createApiClient(baseUrl, { session, fetch: countingFetch });

  const members = await api.GET('/api/v1/members', { params: { query: { limit: 5 } } });
  if (!members.data) throw new Error('list: ' + JSON.stringify(members.error));
  const listed: number = members.data.data.length;

  const form = new FormData();
  form.append('file', new Blob(['SA ID,Name,Last Name,Ward\n' + idNumber + ',Palesa,Package,' + wardCode + '\n'], { type: 'text/csv' }), 'register.csv');
  form.append('mode', 'create');
  form.append('dryRun', 'false');
  const upload = await api.POST('/api/v1/members/imports', {
    body: { file: new Blob() as Blob & string, mode: 'create', dryRun: false },
    bodySerializer: () => form,
  });
  if (!upload.data) throw new Error('upload: ' + JSON.stringify(upload.error));
  let job = upload.data;
  for (let i = 0; i < 200 && job.status !== 'completed' && job.status !== 'failed'; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const next = await api.GET('/api/v1/members/imports/{id}', { params: { path: { id: job.id } } });
    if (!next.data) throw new Error('import: ' + JSON.stringify(next.error));
    job = next.data;
  }

  const exported = await api.GET('/api/v1/members/export', {
    params: { query: { format: 'csv', wardCode } },
    parseAs: 'blob',
  });
  if (!exported.data) throw new Error('export: ' + JSON.stringify(exported.error));
  const exportBlob: Blob = exported.data;
  const exportText = await exportBlob.text();

  // An expired access token: three calls at once, one refresh, all answered.
  const expiredSession = memorySession({ accessToken: expiredAccessToken, refreshToken });
  const expiredApi = createApiClient(baseUrl, { session: expiredSession, fetch: countingFetch });
  refreshCalls = 0;
  const afterExpiry = await Promise.all([
    expiredApi.GET('/api/v1/members', { params: { query: { limit: 1 } } }),
    expiredApi.GET('/api/v1/auth/me'),
    expiredApi.GET('/api/v1/geography/provinces'),
  ]);
  const refreshed: TokenPair | null = await expiredSession.get();
  const refreshCallsAfterExpiry = refreshCalls;

  // A refresh token the server refuses: the 401 comes back and the session is cleared.
  const deadSession = memorySession({ accessToken: expiredAccessToken, refreshToken: 'not-a-refresh-token' });
  const dead = await createApiClient(baseUrl, { session: deadSession }).GET('/api/v1/auth/me');
  const deadProblem: ProblemDetails | undefined = dead.error;

  return {
    listed,
    importStatus: job.status,
    importInserted: job.insertedRows,
    exportType: exported.response.headers.get('content-type'),
    exportHasMember: exportText.includes(idNumber.slice(0, 6)) || exportText.includes('Palesa'),
    exportHeader: exportText.split('\n')[0],
    afterExpiryStatuses: afterExpiry.map((r) => r.response.status),
    refreshCallsAfterExpiry,
    accessTokenChanged: refreshed !== null && refreshed.accessToken !== expiredAccessToken,
    refreshTokenRotated: refreshed !== null && refreshed.refreshToken !== refreshToken,
    deadStatus: dead.response.status,
    deadProblemStatus: deadProblem?.status,
    deadSessionCleared: (await deadSession.get()) === null,
    realtime: {
      namespace: REALTIME_NAMESPACE,
      path: REALTIME_PATH,
      sessionEnded: SESSION_ENDED_EVENT,
      events: REALTIME_EVENT_TYPES.length,
      memberCreated: DomainEventType.MemberCreated,
    },
  };
}

main().then(
  (result) => console.log(JSON.stringify(result)),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2023',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    lib: ['ES2023', 'DOM', 'DOM.Iterable'],
    strict: true,
    noUncheckedIndexedAccess: true,
    noEmitOnError: true,
    outDir: 'out',
    typeRoots: [path.join(ROOT, 'node_modules/@types')],
    types: ['node'],
  },
  files: ['consumer.ts'],
};

/**
 * Runs a command without blocking the event loop (the API answering the consumer runs in this process); a failure
 * shows what it printed (tsc's diagnostics, npm's errors).
 */
async function run(command: string, args: string[], cwd: string): Promise<string> {
  try {
    return (await promisify(execFile)(command, args, { cwd, encoding: 'utf8', timeout: 120_000 }))
      .stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`, {
      cause: error,
    });
  }
}

/** Packs a package of the repository's node_modules, so the consumer installs without a registry. */
async function packLocal(name: string, destination: string): Promise<string> {
  const [packed] = JSON.parse(
    await run(
      'npm',
      [
        'pack',
        '--json',
        '--ignore-scripts',
        '--pack-destination',
        destination,
        path.join(ROOT, 'node_modules', name),
      ],
      ROOT,
    ),
  ) as { filename: string }[];
  return path.join(destination, packed!.filename);
}

describe('Client package from its npm pack tarball (e2e)', () => {
  let t: TestContext;
  let project: string;

  beforeAll(async () => {
    t = await startTestContext();
    project = mkdtempSync(path.join(tmpdir(), 'eff-client-consumer-'));
  });
  afterAll(async () => {
    await t?.close();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('installs offline, type-checks a strict consumer and calls the API: sign-in, list, upload, download, refresh', async () => {
    const tarballs = path.join(project, 'tarballs');
    const client = (
      await run(
        process.execPath,
        [path.join(ROOT, 'libs/api-client/pack.mjs'), '--destination', tarballs],
        ROOT,
      )
    )
      .trim()
      .split('\n')
      .at(-1)!;
    const version = (
      JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    expect(path.basename(client)).toBe(`eff-membership-api-client-${version}.tgz`);
    const packed = JSON.parse(
      await run('tar', ['-xzOf', client, 'package/package.json'], ROOT),
    ) as { name: string; version: string; peerDependencies: Record<string, string> };
    expect(packed).toMatchObject({
      name: '@eff/membership-api-client',
      version,
      peerDependencies: { 'openapi-fetch': expect.any(String) },
    });

    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    await run(
      'npm',
      [
        'install',
        '--offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        client,
        await packLocal('openapi-fetch', tarballs),
        await packLocal('openapi-typescript-helpers', tarballs),
      ],
      project,
    );
    writeFileSync(path.join(project, 'consumer.ts'), CONSUMER);
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    await run(process.execPath, [TSC, '-p', project], project);

    const login = await fetch(`${t.app.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: TEST_ADMIN.email, password: TEST_ADMIN.password }),
    });
    const pair = (await login.json()) as { accessToken: string; refreshToken: string };
    const { header, payload } = decodeJwt(pair.accessToken);
    const now = Math.floor(Date.now() / 1000);
    const expired = signJwt(
      header,
      { ...payload, iat: now - 1000, exp: now - 10 },
      TEST_JWT_SECRET,
    );
    const idNumber = validIdNumber();

    const output = await run(
      process.execPath,
      [
        path.join(project, 'out/consumer.js'),
        t.app.baseUrl,
        TEST_ADMIN.email,
        TEST_ADMIN.password,
        expired,
        pair.refreshToken,
        idNumber,
        WARDS.own,
      ],
      project,
    );
    const result = JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(result).toMatchObject({
      importStatus: 'completed',
      importInserted: 1,
      exportHasMember: true,
      afterExpiryStatuses: [200, 200, 200],
      refreshCallsAfterExpiry: 1,
      accessTokenChanged: true,
      refreshTokenRotated: true,
      deadStatus: 401,
      deadProblemStatus: 401,
      deadSessionCleared: true,
      realtime: {
        namespace: '/realtime',
        path: '/socket.io',
        sessionEnded: 'session.ended',
        events: 16,
        memberCreated: 'member.created',
      },
    });
    expect(result.listed).toEqual(expect.any(Number));
    expect(String(result.exportType)).toMatch(/text\/csv/);
  }, 180_000);
});
