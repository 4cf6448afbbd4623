// The peer: what the members and geography reads cost written by hand. Express 5, pg (a pool of the API's size),
// jsonwebtoken verifying the API's access token (HS256 pinned, issuer, audience, the key as a KeyObject) and the
// caller's scope taken from it, the SQL the API runs (its own query builders, _queries.mjs) and the same JSON.
// No session check, throttle, audit or access log: the difference to the API is what those and the framework cost.
// Geography and statistics query PostgreSQL on every request (the API answers them from its cache).
//
//   PORT=… DATABASE_URL=… DATABASE_POOL_SIZE=20 JWT_SECRET=… node bench/_peer.mjs   (started by _api.mjs startPeer)
import { Buffer } from 'node:buffer';
import { createSecretKey } from 'node:crypto';
import express from 'express';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import {
  memberGetQuery,
  memberListQuery,
  membershipStatsQuery,
  PARENT,
  toMembershipStats,
  toPage,
} from './_queries.mjs';

const env = process.env;
const pool = new pg.Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.DATABASE_POOL_SIZE ?? 20),
});
const key = createSecretKey(Buffer.from(env.JWT_SECRET ?? ''));
const verifyOptions = {
  algorithms: ['HS256'],
  issuer: env.JWT_ISSUER ?? 'eff-membership-api',
  audience: env.JWT_AUDIENCE ?? 'eff-membership-portal',
};
const SCOPE_LEVELS = new Set(['national', 'province', 'district', 'municipality', 'ward']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const problem = (res, status, code) => res.status(status).json({ status, code });

function caller(req) {
  const header = req.headers.authorization;
  if (!header?.startsWith('Bearer ')) return null;
  try {
    const claims = jwt.verify(header.slice(7), key, verifyOptions);
    const scope = claims.scope;
    if (!scope || !SCOPE_LEVELS.has(scope.level)) return null;
    return {
      id: claims.sub,
      scope: scope.level === 'national' ? { level: 'national', code: null } : scope,
    };
  } catch {
    return null;
  }
}

function authenticated(req, res, next) {
  const user = caller(req);
  if (!user) return problem(res, 401, 'unauthenticated');
  req.user = user;
  next();
}

/** The list query as the API's validation pipe makes it (defaults: limit 25, sort surname). */
function listQuery(q) {
  const limit = q.limit === undefined ? 25 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) return null;
  const query = { limit, sort: q.sort ?? 'surname' };
  for (const name of [
    'q',
    'cursor',
    'wardCode',
    'municipalityCode',
    'districtCode',
    'provinceCode',
    'expiresFrom',
    'expiresTo',
    'joinedFrom',
    'joinedTo',
  ]) {
    if (typeof q[name] === 'string') query[name] = name === 'q' ? q[name].trim() : q[name];
  }
  if (typeof q.status === 'string') query.status = q.status.split(',').map((s) => s.trim());
  return query;
}

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.set('query parser', 'simple');

app.get('/api/v1/health', (_req, res) => res.json({ status: 'ok' }));

app.get('/api/v1/members', authenticated, async (req, res) => {
  const query = listQuery(req.query);
  if (!query) return problem(res, 400, 'validation_failed');
  let built;
  try {
    built = memberListQuery(req.user.scope, query);
  } catch {
    return problem(res, 400, 'invalid_cursor');
  }
  const { rows } = await pool.query(built.text, built.values);
  res.json(toPage(rows, query.limit, (m) => [built.bySurname ? m.surname : m.joinedOn, m.id]));
});

app.get('/api/v1/members/:id', authenticated, async (req, res) => {
  if (!UUID.test(req.params.id)) return problem(res, 400, 'validation_failed');
  const { text, values } = memberGetQuery(req.user.scope, req.params.id);
  const { rows } = await pool.query(text, values);
  if (rows.length === 0) return problem(res, 404, 'not_found');
  res.json(rows[0]);
});

// Geography and statistics, from PostgreSQL on every request (the API caches them).
app.get('/api/v1/geography/provinces', async (_req, res) => {
  const { rows } = await pool.query('SELECT code, name FROM provinces ORDER BY code');
  res.json(rows);
});

app.get('/api/v1/geography/wards/:code', async (req, res) => {
  const { rows } = await pool.query(
    `SELECT w.code, w.number, w.label, w.name, w.municipality_code AS "municipalityCode",
            w.district_code AS "districtCode", w.province_code AS "provinceCode",
            json_build_object('code', m.code, 'name', m.name, 'category', m.category,
              'districtCode', m.district_code, 'provinceCode', m.province_code, 'wardCount', m.ward_count) AS municipality,
            json_build_object('code', d.code, 'name', d.name, 'type', d.type, 'provinceCode', d.province_code) AS district,
            json_build_object('code', p.code, 'name', p.name) AS province
       FROM wards w JOIN municipalities m ON m.code = w.municipality_code
       JOIN districts d ON d.code = w.district_code JOIN provinces p ON p.code = w.province_code
      WHERE w.code = $1`,
    [req.params.code],
  );
  if (rows.length === 0) return problem(res, 404, 'not_found');
  res.json(rows[0]);
});

const STATS_LEVELS = new Set(['province', 'district', 'municipality', 'ward']);

/** GET /stats/membership?level=…&parentCode=…: the API's own query builder, run on every request. */
app.get('/api/v1/stats/membership', authenticated, async (req, res) => {
  const level = req.query.level;
  if (!STATS_LEVELS.has(level)) return problem(res, 400, 'validation_failed');
  const parentCode =
    PARENT[level] && typeof req.query.parentCode === 'string' ? req.query.parentCode : null;
  const { text, values } = membershipStatsQuery(req.user.scope, level, parentCode);
  const { rows } = await pool.query(text, values);
  res.json(toMembershipStats(level, parentCode, rows));
});

// Express recognises an error handler by its four parameters.
// eslint-disable-next-line no-unused-vars
app.use((_error, _req, res, _next) => problem(res, 500, 'internal'));

const server = app.listen(Number(env.PORT ?? 0), env.HOST ?? '127.0.0.1');
server.keepAliveTimeout = 65_000;
const shutdown = () => server.close(() => void pool.end().then(() => process.exit(0)));
process.on('SIGTERM', shutdown);
process.on('message', (message) => message === 'shutdown' && shutdown());
