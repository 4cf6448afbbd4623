import type { ChildProcess } from 'node:child_process';

export declare const TEMPLATE_DATABASE: string;
export declare const HARNESS_ENV: { pgAdminUrl: string; redisUrl: string };
/** A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it). */
export declare function freePort(): Promise<number>;
/** A redis-server on 127.0.0.1:`port` keeping nothing on disk (`dir`), resolved once it accepts connections. */
export declare function spawnRedis(port: number, dir: string): Promise<ChildProcess>;
export declare function startRedis(): Promise<{ url: string; process?: ChildProcess }>;
