import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEnum,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { cidrProblem, DEFAULT_METRICS_ALLOW } from '../metrics/address-allow-list.js';
import { estimatedEntropyBits, MIN_JWT_SECRET_BITS, PLACEHOLDER_MARK } from './secret-strength.js';
/** The public development default of MFA_ENCRYPTION_KEY (outside production); production refuses it. */
export const DEV_MFA_ENCRYPTION_KEY = 'dev-only-mfa-encryption-key-not-for-production-use';

export enum NodeEnv {
  Development = 'development',
  Test = 'test',
  Production = 'production',
}

export enum DatabaseSslMode {
  Disable = 'disable',
  Require = 'require',
  VerifyCa = 'verify-ca',
  VerifyFull = 'verify-full',
}

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};
const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
    : value;

/**
 * Every environment variable the API reads. Validated once at start-up; nothing else reads process.env.
 * The README's configuration table mirrors this class.
 */
export class EnvironmentVariables {
  @IsEnum(NodeEnv)
  NODE_ENV: NodeEnv = NodeEnv.Development;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 5000;

  @IsString()
  HOST = '0.0.0.0';

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(500)
  DATABASE_POOL_SIZE = 20;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  DATABASE_STATEMENT_TIMEOUT_MS = 15000;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  DATABASE_CONNECT_TIMEOUT_MS = 5000;

  @IsEnum(DatabaseSslMode)
  DATABASE_SSL_MODE: DatabaseSslMode = DatabaseSslMode.Disable;

  @IsOptional()
  @IsString()
  DATABASE_SSL_CA_FILE?: string;

  @IsString()
  EMBEDDED_POSTGRES_DIR = '.data/postgres';

  /**
   * Read replicas (streaming standbys of DATABASE_URL), comma-separated postgres:// URLs. The heavy reads (member
   * lists and search, statistics, exports) go to a healthy replica; writes and read-your-writes stay on the primary.
   */
  @Transform(toList)
  @Matches(/^postgres(ql)?:\/\/.+/, {
    each: true,
    message: 'DATABASE_REPLICA_URLS must be a comma-separated list of postgres:// URLs',
  })
  DATABASE_REPLICA_URLS: string[] = [];

  /** A replica whose replay lags more than this is taken out of rotation until it catches up. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  DATABASE_REPLICA_MAX_LAG_MS = 5000;

  /** How often each replica's lag and health are measured. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  DATABASE_REPLICA_CHECK_INTERVAL_MS = 1000;

  /**
   * Read-your-writes window: after a user's write (any authenticated POST/PUT/PATCH/DELETE), that user's reads go
   * to the primary for this long. Must exceed DATABASE_REPLICA_MAX_LAG_MS + 2 × DATABASE_REPLICA_CHECK_INTERVAL_MS:
   * lag is measured against the primary's WAL position sampled once per check (so it reads up to one interval
   * short), and a replica found in rotation serves reads until the next check, one interval later.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  DATABASE_READ_YOUR_WRITES_MS = 10000;

  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /**
   * Redis Sentinel: host:port list (comma-separated). With REDIS_SENTINEL_NAME every Redis client asks the
   * Sentinels for the current master instead of REDIS_URL's host (REDIS_URL then gives password/TLS/db only).
   */
  @Transform(toList)
  @Matches(/^[A-Za-z0-9.-]+:\d{1,5}$/, {
    each: true,
    message: 'REDIS_SENTINELS must be a comma-separated list of host:port',
  })
  REDIS_SENTINELS: string[] = [];

  /** The master name the Sentinels monitor (`sentinel monitor <name> ...`). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, {
    message: 'REDIS_SENTINEL_NAME may hold letters, digits, . _ - only',
  })
  REDIS_SENTINEL_NAME?: string;

  /** Password of the Sentinels themselves (`requirepass` in sentinel.conf), if they have one. */
  @IsOptional()
  @IsString()
  REDIS_SENTINEL_PASSWORD?: string;

  /** Prefix of every Redis key, so several deployments (or test runs) can share one Redis. */
  @Matches(/^[A-Za-z0-9:_-]{1,40}$/, {
    message: 'REDIS_KEY_PREFIX may hold letters, digits, : _ - only',
  })
  REDIS_KEY_PREFIX = 'eff:';

  @Transform(toList)
  @IsString({ each: true })
  CORS_ORIGINS: string[] = [];

  /** Express "trust proxy" value: addresses/CIDRs of proxies whose X-Forwarded-For is believed. */
  @Transform(toList)
  @IsString({ each: true })
  TRUST_PROXY: string[] = ['loopback'];

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Serve /docs and /docs-json. Unset: on, except when NODE_ENV=production. */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  SWAGGER_ENABLED?: boolean;

  @IsString()
  BODY_LIMIT = '1mb';

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  SHUTDOWN_TIMEOUT_MS = 10000;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60000)
  AUDIT_ACCESS_FLUSH_MS = 200;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @IsString()
  JWT_ISSUER = 'eff-membership-api';

  @IsString()
  JWT_AUDIENCE = 'eff-membership-portal';

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(3600)
  ACCESS_TOKEN_TTL_SECONDS = 900;

  @Transform(toInt)
  @IsInt()
  @Min(300)
  REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

  /**
   * How long a session found live is trusted without asking the session store again (0: ask on every request).
   * Revocations reach every process's memory at once through Redis pub/sub (CachedSessionStore).
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(300)
  SESSION_CACHE_SECONDS = 30;

  /** Failed logins for one account within LOGIN_FAILURE_WINDOW_SECONDS before it is locked. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_MAX_FAILURES = 5;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_FAILURE_WINDOW_SECONDS = 900;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_LOCK_SECONDS = 900;

  /** Failed logins from one client address within the window before it is refused (429). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_MAX_FAILURES_PER_IP = 50;

  /** Global request limit per client address per THROTTLE_TTL_SECONDS. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  THROTTLE_LIMIT = 600;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  THROTTLE_TTL_SECONDS = 60;

  /** Stricter limit for login, refresh and the public application form, per client address. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUTH_THROTTLE_LIMIT = 20;

  /** First super admin, created at start-up when none exists. */
  @IsOptional()
  @Matches(/^[^@\s]+@[^@\s]+$/, { message: 'ADMIN_EMAIL must be an email address' })
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(12, { message: 'ADMIN_PASSWORD must be at least 12 characters' })
  ADMIN_PASSWORD?: string;

  /** A membership runs this many months from the last payment. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(120)
  MEMBERSHIP_PERIOD_MONTHS = 24;

  /** Days after expiry during which a member is in Grace Period before becoming Expired. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3650)
  GRACE_PERIOD_DAYS = 90;

  /** The membership fee in cents (R10 = 1000), the default amount of a renewal. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  MEMBERSHIP_FEE_CENTS = 1000;

  /** Days a Cancelled or Deceased member's personal data is kept (from the status change) before it may be erased. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(36500)
  MEMBER_RETENTION_DAYS = 730;

  /** Cron expression (Africa/Johannesburg) of the daily status recalculation, or "off". */
  @Matches(/^(off|\S+( \S+){4,5})$/, {
    message: 'STATUS_RECALC_CRON must be a cron expression such as "0 2 * * *" or "off"',
  })
  STATUS_RECALC_CRON = '0 2 * * *';
  /** Largest socket.io message a client may send, in bytes (socket.io's maxHttpBufferSize). */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(10_000_000)
  REALTIME_MAX_MESSAGE_BYTES = 16_384;

  /** socket.io transports the server accepts. Several processes without sticky sessions: `websocket` only. */
  @Transform(toList)
  @IsIn(['websocket', 'polling'], { each: true })
  REALTIME_TRANSPORTS: string[] = ['websocket', 'polling'];

  /** Peers (addresses/CIDRs, matched against the socket address) allowed to read /metrics; empty = nobody. */
  @Transform(toList)
  @IsString({ each: true })
  METRICS_ALLOW: string[] = [...DEFAULT_METRICS_ALLOW];

  /**
   * A port of its own for GET /metrics; when set, the main port serves no /metrics at all. Under PM2 cluster
   * mode worker N (NODE_APP_INSTANCE) listens on METRICS_PORT + N, so each worker is scraped on its own.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  METRICS_PORT?: number;

  /** The address the metrics port binds to: loopback unless Prometheus runs elsewhere (containers). */
  @IsString()
  METRICS_HOST = '127.0.0.1';

  /** Largest member import file in bytes (Nginx's client_max_body_size on the import route matches it). */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  IMPORT_MAX_BYTES = 20 * 1024 * 1024;

  /** Most data rows one import file may hold; the job fails at the first row beyond it. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  IMPORT_MAX_ROWS = 200_000;

  /** Rows committed per transaction (with the job's progress counters). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20_000)
  IMPORT_BATCH_SIZE = 5000;

  /**
   * Registration conflicts (ID numbers already registered outside the user's area) one user may cause in 24 hours;
   * past it member creation, approval and imports by that user answer 429 REGISTRATION_CONFLICT_LIMIT.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  REGISTRATION_CONFLICT_LIMIT = 20;

  /**
   * Stored documents (payment receipts, meeting documents): a folder outside any web root, kept like the
   * database (a Docker volume in production; every API process must see the same folder). Relative paths are
   * from the working directory, like EMBEDDED_POSTGRES_DIR.
   */
  @IsString()
  @MinLength(1)
  DOCUMENTS_DIR = '.data/documents';

  /** Largest stored document (receipt, meeting document) in bytes; a larger upload answers 413, nothing kept. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(1024 * 1024 * 1024)
  DOCUMENT_MAX_BYTES = 10 * 1024 * 1024;

  /** Folder for uploaded import files until their job completes; empty = <os tmpdir>/eff-imports. */
  @IsString()
  IMPORT_DIR = '';

  /** Most bytes an XLSX upload may unpack to (all its parts together); more answers 413 before parsing. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  IMPORT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024;

  /** Highest compression ratio (uncompressed:compressed) of one XLSX part over 1 MB; more answers 422. */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  IMPORT_MAX_COMPRESSION_RATIO = 100;

  /** Hours a failed import's file is kept for a retry; then the sweeper deletes it. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  IMPORT_RETENTION_HOURS = 24;

  /** Seconds between sweeps of IMPORT_DIR (expired failed jobs' files, orphaned uploads). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  IMPORT_SWEEP_INTERVAL_SECONDS = 900;

  /** Imports running at once across every process sharing the database; the rest wait queued. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(16)
  IMPORT_CONCURRENCY = 1;

  /**
   * Nice value of the worker thread that reads, validates and writes an import's rows (0 = the API's own
   * priority): above 0, the request-serving thread and PostgreSQL win the CPU while an import runs.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(19)
  IMPORT_WORKER_NICE = 10;

  /** Seconds between scheduled refreshes of the statistics views; 0 = only after imports. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  STATS_REFRESH_INTERVAL_SECONDS = 600;

  /** How long statistics answers are cached; 0 = no cache. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  STATS_CACHE_TTL_SECONDS = 60;

  /** Active members a ward (branch) needs to be in good standing. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  GOOD_STANDING_MIN_ACTIVE = 200;

  /** Percentage of a municipality's wards in good standing for it to be adequately represented. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  MUNICIPALITY_REPRESENTATION_PCT = 65;

  /** Percentage of an area's wards in good standing before its regional/provincial assembly may sit. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  ASSEMBLY_WARD_PCT = 80;

  /** SMTP server for email (smtp:// or smtps://, credentials in the URL). Unset: emails are only logged. */
  @IsOptional()
  @Matches(/^smtps?:\/\/.+/, { message: 'SMTP_URL must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  /** The From header of every email. */
  @IsString()
  @MinLength(3)
  MAIL_FROM = 'EFF Membership <no-reply@localhost>';

  /** SMS gateway: `bulksms` (BulkSMS JSON REST API) or `log` (messages are only logged). */
  @IsIn(['log', 'bulksms'])
  SMS_PROVIDER = 'log';

  /** Base URL of the BulkSMS JSON REST API. */
  @Matches(/^https?:\/\/.+/, { message: 'BULKSMS_API_URL must be an http(s):// URL' })
  BULKSMS_API_URL = 'https://api.bulksms.com/v1';

  @IsOptional()
  @IsString()
  BULKSMS_TOKEN_ID?: string;

  @IsOptional()
  @IsString()
  BULKSMS_TOKEN_SECRET?: string;

  /** Secret the SMS gateway's delivery-report webhook carries (?token=); unset: reports are refused. */
  @IsOptional()
  @IsString()
  @MinLength(24, { message: 'SMS_WEBHOOK_SECRET must be at least 24 characters' })
  SMS_WEBHOOK_SECRET?: string;

  /**
   * `off`: this process never delivers outbox messages (set it on the API processes when `cli.js dispatch`
   * workers deliver, so a large campaign does not share the API's event loop); `on` (default): it delivers
   * every MESSAGING_DISPATCH_INTERVAL_MS. The `dispatch` worker ignores it.
   */
  @IsIn(['on', 'off'])
  MESSAGING_DISPATCH = 'on';

  /** How often this process looks for outbox messages to deliver; 0 = this process never delivers. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  MESSAGING_DISPATCH_INTERVAL_MS = 1000;

  /**
   * Most SMS each dispatching process hands to the gateway per second (the throughput agreed with the gateway, or
   * what the host can spare beside the API); 0 = as fast as the gateway answers.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  MESSAGING_SMS_PER_SECOND = 0;

  /** Most emails each dispatching process hands to the SMTP relay per second; 0 = as fast as it answers. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  MESSAGING_EMAIL_PER_SECOND = 0;

  /**
   * The `dispatch` worker's CPU niceness (0 to 19, as `nice`): it lowers its own scheduling priority at start, so
   * on a host it shares with API processes a large send yields the CPU to requests. 0 keeps the inherited one.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(19)
  MESSAGING_DISPATCH_NICE = 10;

  /** Delivery attempts of one message before it is marked failed. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(50)
  MESSAGING_MAX_ATTEMPTS = 6;

  /** Wait before the first retry; doubles with every further attempt (capped at one hour). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MESSAGING_RETRY_BASE_SECONDS = 30;

  /** How long a claimed message stays with its process; past it (the process died) another may deliver it. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MESSAGING_LEASE_SECONDS = 120;

  /** Largest SMS a template or campaign may produce, in segments (the opt-out text included). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20)
  SMS_MAX_SEGMENTS = 6;

  /** Appended to every campaign and reminder SMS (and counted in its segments). */
  @IsString()
  @MinLength(4)
  SMS_OPT_OUT_TEXT = 'Reply STOP to opt out';

  /**
   * Appended to every campaign and reminder email; {{unsubscribeUrl}} becomes the message's own one-click
   * unsubscribe link (the same URL as its List-Unsubscribe header).
   */
  @IsString()
  @MinLength(4)
  EMAIL_OPT_OUT_TEXT =
    'You receive this as a registered member. To stop receiving these messages, open {{unsubscribeUrl}}';

  /**
   * Public https base URL of this API as members' mail programs reach it (no trailing /api/v1): the unsubscribe
   * links are <base>/api/v1/messaging/unsubscribe?token=…. Set an https URL in production: RFC 8058 one-click
   * unsubscribe requires https (mail providers ignore http links).
   */
  @Matches(/^https?:\/\/[^/?#]+(\/[^?#]*[^/?#])?$/, {
    message: 'MESSAGING_PUBLIC_URL must be an http(s):// URL without a trailing slash',
  })
  MESSAGING_PUBLIC_URL = 'http://localhost:5000';

  /**
   * Key of the signed unsubscribe tokens (HMAC-SHA256 under a key derived for this purpose only). Unset: in
   * production JWT_SECRET is the key material (under its own label), elsewhere a development default. Changing
   * it invalidates the links in emails sent before.
   */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'MESSAGING_UNSUBSCRIBE_SECRET must be at least 32 characters' })
  MESSAGING_UNSUBSCRIBE_SECRET?: string;

  /** Campaigns one admin may send per rolling hour; more answer 429. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  CAMPAIGN_SENDS_PER_HOUR = 5;

  /** Cron expression (Africa/Johannesburg) of the daily renewal reminders and outbox retention, or "off". */
  @Matches(/^(off|\S+( \S+){4,5})$/, {
    message: 'MESSAGING_REMINDERS_CRON must be a cron expression such as "0 9 * * *" or "off"',
  })
  MESSAGING_REMINDERS_CRON = '0 9 * * *';

  /** Days after which the body and subject of a finished outbox message are blanked (the row stays). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3650)
  MESSAGING_BODY_RETENTION_DAYS = 90;

  /** Life of a password-reset token. */
  @Transform(toInt)
  @IsInt()
  @Min(5)
  @Max(1440)
  PASSWORD_RESET_TTL_MINUTES = 30;

  /** The page of the portal that takes a reset token; the email links to it with ?token=. */
  @Matches(/^https?:\/\/.+/, { message: 'PASSWORD_RESET_URL must be an http(s):// URL' })
  PASSWORD_RESET_URL = 'http://localhost:3000/reset-password';

  /**
   * Server key for TOTP: the AES-256-GCM key of the stored secrets and the HMAC key of the recovery codes are
   * derived from it (HKDF-SHA256, one label each). Checked for strength in production (the public development
   * default is refused there). Unset: in production JWT_SECRET is used as the key material (under a label of its
   * own), elsewhere the development default. Changing it makes every enrolled authenticator unreadable (users
   * must be reset and enrol again); set it explicitly in production so JWT_SECRET can be rotated on its own.
   */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'MFA_ENCRYPTION_KEY must be at least 32 characters' })
  MFA_ENCRYPTION_KEY?: string;

  /** Days an admin may sign in without TOTP after the first sign-in; after them, only enrolment is possible. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(90)
  MFA_ENROLMENT_GRACE_DAYS = 7;

  /** Issuer shown by authenticator apps next to the account. */
  @IsString()
  @MinLength(1)
  MFA_ISSUER = 'EFF Membership';

  // --- payments (libs/payments): the PayFast card gateway ---

  /** PayFast merchant id; unset: card checkouts answer 503 and notifications are refused. */
  @IsOptional()
  @IsString()
  PAYFAST_MERCHANT_ID?: string;

  @IsOptional()
  @IsString()
  PAYFAST_MERCHANT_KEY?: string;

  /** The passphrase set in the PayFast dashboard (signs checkouts and notifications). */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  PAYFAST_PASSPHRASE?: string;

  /** Hosted checkout. Production: https://www.payfast.co.za/eng/process. */
  @Matches(/^https?:\/\/.+/, { message: 'PAYFAST_PROCESS_URL must be an http(s):// URL' })
  PAYFAST_PROCESS_URL = 'https://sandbox.payfast.co.za/eng/process';

  /** Server-to-server confirmation of a notification. Production: https://www.payfast.co.za/eng/query/validate. */
  @Matches(/^https?:\/\/.+/, { message: 'PAYFAST_VALIDATE_URL must be an http(s):// URL' })
  PAYFAST_VALIDATE_URL = 'https://sandbox.payfast.co.za/eng/query/validate';

  /** Where PayFast posts its ITN: this API's public POST /api/v1/payments/payfast/notifications. */
  @Matches(/^https?:\/\/.+/, { message: 'PAYFAST_NOTIFY_URL must be an http(s):// URL' })
  PAYFAST_NOTIFY_URL = 'http://localhost:5000/api/v1/payments/payfast/notifications';

  @Matches(/^https?:\/\/.+/, { message: 'PAYFAST_RETURN_URL must be an http(s):// URL' })
  PAYFAST_RETURN_URL = 'http://localhost:3000/payments/done';

  @Matches(/^https?:\/\/.+/, { message: 'PAYFAST_CANCEL_URL must be an http(s):// URL' })
  PAYFAST_CANCEL_URL = 'http://localhost:3000/payments/cancelled';

  /**
   * Where PayFast notifications may come from (IPv4 addresses or CIDR ranges, comma-separated): PayFast's
   * published ranges by default. Checked when PAYFAST_SOURCE_CHECK is true.
   */
  @IsString()
  PAYFAST_SOURCE_RANGES =
    '197.97.145.144/28,41.74.179.192/27,102.216.36.0/28,102.216.36.128/28,144.126.193.139/32';

  @Transform(toBool)
  @IsBoolean()
  PAYFAST_SOURCE_CHECK = true;

  // --- membership cards (libs/cards): Ed25519 signing keys, see docs/cards.md ---

  /**
   * Folder of the card keys: one `<kid>.pem` per key (PKCS#8 Ed25519 private key, or SPKI public key only for a
   * retired key). Unset outside production: `.data/card-keys`, with a key generated on first start. Unset in
   * production: cards cannot be issued (503) and nothing verifies.
   */
  @IsOptional()
  @IsString()
  CARD_KEYS_DIR?: string;

  /** The key that signs new cards (a private key in CARD_KEYS_DIR); optional when only one key may sign. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'CARD_SIGNING_KID must be a key id ([A-Za-z0-9_-])',
  })
  CARD_SIGNING_KID?: string;

  /** Retired keys with the date they were retired: `kid:YYYY-MM-DD,…`; they verify for CARD_KEY_GRACE_DAYS more. */
  @Transform(toList)
  @Matches(/^[A-Za-z0-9_-]{1,64}:\d{4}-\d{2}-\d{2}$/, {
    each: true,
    message: 'CARD_RETIRED_KEYS must be kid:YYYY-MM-DD entries, comma-separated',
  })
  CARD_RETIRED_KEYS: string[] = [];

  /** Days a retired card key still verifies the cards it signed (members get a new card meanwhile). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3650)
  CARD_KEY_GRACE_DAYS = 60;

  /** Public card verifications per client address per minute (GET /cards/verify). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  CARD_VERIFY_THROTTLE_LIMIT = 120;
}

/** The validated configuration, with the defaults that depend on other variables resolved. */
export type AppConfig = Readonly<
  Omit<EnvironmentVariables, 'SWAGGER_ENABLED'> & { SWAGGER_ENABLED: boolean }
>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Validates the given environment (default: process.env); throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.keys(new EnvironmentVariables());
  const input: Record<string, string> = {};
  for (const key of known) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const config = plainToInstance(EnvironmentVariables, input);
  const errors = validateSync(config, { whitelist: true, forbidUnknownValues: true });
  const problems = errors.flatMap((e) =>
    Object.values(e.constraints ?? {}).map((m) =>
      m.startsWith(e.property) ? m : `${e.property}: ${m}`,
    ),
  );
  for (const entry of Array.isArray(config.METRICS_ALLOW) ? config.METRICS_ALLOW : []) {
    const problem = typeof entry === 'string' ? cidrProblem(entry) : 'not a string';
    if (problem) problems.push(`METRICS_ALLOW: ${problem}`);
  }
  if (
    config.SMS_PROVIDER === 'bulksms' &&
    (!config.BULKSMS_TOKEN_ID || !config.BULKSMS_TOKEN_SECRET)
  )
    problems.push('BULKSMS_TOKEN_ID and BULKSMS_TOKEN_SECRET: required when SMS_PROVIDER=bulksms');
  if (config.REDIS_SENTINELS.length > 0 && !config.REDIS_SENTINEL_NAME)
    problems.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS');
  if (config.REDIS_SENTINELS.length > 0 && !config.REDIS_URL)
    problems.push(
      'REDIS_URL: required with REDIS_SENTINELS (e.g. redis://:password@sentinel-master/0; its host is ignored)',
    );
  if (
    config.DATABASE_REPLICA_URLS.length > 0 &&
    config.DATABASE_READ_YOUR_WRITES_MS <=
      config.DATABASE_REPLICA_MAX_LAG_MS + 2 * config.DATABASE_REPLICA_CHECK_INTERVAL_MS
  )
    problems.push(
      'DATABASE_READ_YOUR_WRITES_MS: must exceed DATABASE_REPLICA_MAX_LAG_MS + 2 x DATABASE_REPLICA_CHECK_INTERVAL_MS (a replica in rotation may lag that much: lag is sampled once per check, and the replica serves until the next check)',
    );
  if (config.NODE_ENV === NodeEnv.Production) {
    if (!config.DATABASE_URL) problems.push('DATABASE_URL: required when NODE_ENV=production');
    if (!config.REDIS_URL)
      problems.push(
        'REDIS_URL: required when NODE_ENV=production (in-process stores serve one process only)',
      );
    if (!config.JWT_SECRET) problems.push('JWT_SECRET: required when NODE_ENV=production');
    problems.push(...productionSecretProblems(config, input));
    if (config.ADMIN_EMAIL && !config.ADMIN_PASSWORD)
      problems.push(
        'ADMIN_PASSWORD: required with ADMIN_EMAIL when NODE_ENV=production (a generated one would be printed to the logs)',
      );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    ...config,
    SWAGGER_ENABLED: config.SWAGGER_ENABLED ?? config.NODE_ENV !== NodeEnv.Production,
  });
}

/**
 * Production refuses env.example's placeholders in any variable and a guessable JWT_SECRET. The messages name the
 * variable only: a secret (or a URL holding a password) never reaches the logs.
 */
function productionSecretProblems(
  config: EnvironmentVariables,
  input: Record<string, string>,
): string[] {
  const problems = Object.entries(input)
    .filter(([, value]) => value.toLowerCase().includes(PLACEHOLDER_MARK))
    .map(
      ([name]) =>
        `${name}: still holds a "${PLACEHOLDER_MARK}" placeholder from deploy/docker/env.example; set a real value`,
    );
  const secret = config.JWT_SECRET;
  if (
    typeof secret === 'string' &&
    !secret.toLowerCase().includes(PLACEHOLDER_MARK) &&
    estimatedEntropyBits(secret) < MIN_JWT_SECRET_BITS
  )
    problems.push(
      `JWT_SECRET: too guessable for production (under 32 random bytes: repeated or too few distinct characters, or too short); generate one with \`openssl rand -base64 48\``,
    );
  const unsubscribeKey = input.MESSAGING_UNSUBSCRIBE_SECRET;
  if (
    typeof unsubscribeKey === 'string' &&
    !unsubscribeKey.toLowerCase().includes(PLACEHOLDER_MARK) &&
    estimatedEntropyBits(unsubscribeKey) < MIN_JWT_SECRET_BITS
  )
    problems.push(
      `MESSAGING_UNSUBSCRIBE_SECRET: too guessable for production (under 32 random bytes); generate one with \`openssl rand -base64 48\``,
    );
  const mfaKey = input.MFA_ENCRYPTION_KEY;
  if (
    typeof mfaKey === 'string' &&
    !mfaKey.toLowerCase().includes(PLACEHOLDER_MARK) &&
    (mfaKey === DEV_MFA_ENCRYPTION_KEY || estimatedEntropyBits(mfaKey) < MIN_JWT_SECRET_BITS)
  )
    problems.push(
      `MFA_ENCRYPTION_KEY: too guessable for production (under 32 random bytes, or the development default); generate one with \`openssl rand -base64 48\``,
    );
  return problems;
}
