import type { ChildProcess } from 'node:child_process';

export declare const TEMPLATE_DATABASE: string;
export declare const HARNESS_ENV: { pgAdminUrl: string; redisUrl: string };
export declare function startRedis(): Promise<{ url: string; process?: ChildProcess }>;
