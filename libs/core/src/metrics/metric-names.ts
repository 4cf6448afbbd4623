/**
 * Names of the application's own metrics, in one place so producers, alert rules and the dashboard agree.
 * Producers register them through MetricsService (counter/gauge/histogram are get-or-create).
 */
export const METRIC = {
  /** Counter {method, route, status}: every HTTP response; route is the template (/api/v1/members/:id). */
  httpRequests: 'http_requests_total',
  /** Histogram {method, route, status}: response time in seconds. */
  httpDuration: 'http_request_duration_seconds',
  /** Counter {code, status}: every problem-details answer, by machine-readable code. */
  problems: 'eff_http_problems_total',
  /** Counter: requests answered 429 by the throttler. */
  throttled: 'eff_throttled_requests_total',
  /** Gauge {state=in_use|idle}: connections of this process's PostgreSQL pool. */
  dbPoolConnections: 'eff_db_pool_connections',
  /** Gauge: queries waiting for a pool connection. */
  dbPoolWaiting: 'eff_db_pool_waiting',
  /** Gauge: pool size limit (DATABASE_POOL_SIZE). */
  dbPoolMax: 'eff_db_pool_max',
  /** Gauge 1/0: PostgreSQL answered SELECT 1 within a second at scrape time. */
  dbUp: 'eff_db_up',
  /** Gauge {replica}: replay lag of each read replica in seconds, -1 when down. Producer: ReadConnection. */
  dbReplicaLag: 'eff_db_replica_lag_seconds',
  /** Gauge {replica} 1/0: the read replica serves reads (in rotation). Producer: ReadConnection. */
  dbReplicaInRotation: 'eff_db_replica_in_rotation',
  /** Gauge 1/0: the Redis connection is ready (only present when REDIS_URL is set). */
  redisUp: 'eff_redis_up',
  /** Counter {reason}: failed sign-ins (unknown user, bad password, locked). Producer: auth. */
  failedLogins: 'eff_auth_failed_logins_total',
  /** Gauge: refresh sessions currently active (the seed's "active users"). Producer: auth. */
  activeSessions: 'eff_auth_active_sessions',
  /** Gauge: socket.io connections on this process. Producer: realtime. */
  connectedSockets: 'eff_realtime_connected_sockets',
  /** Counter {status=completed|failed}: member imports. Producer: imports. */
  imports: 'eff_imports_total',
  /**
   * Counter {outcome=recorded|limited}: registration conflicts (an ID number already registered outside the
   * user's area) recorded, and attempts refused because the user passed REGISTRATION_CONFLICT_LIMIT. Producer: members.
   */
  registrationConflicts: 'eff_registration_conflicts_total',
  /** Gauge {status}: members by membership status. Producer: members. */
  members: 'eff_members',
} as const;
