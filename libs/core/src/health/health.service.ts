import { Injectable, Logger } from '@nestjs/common';

export type ReadinessCheck = () => Promise<void>;

/** All a public caller learns of a dependency; why it failed goes to the logs only. */
export enum DependencyStatus {
  Ok = 'ok',
  Unavailable = 'unavailable',
}

export interface ReadinessReport {
  ready: boolean;
  status: DependencyStatus;
  checks: Record<string, DependencyStatus>;
}

/** Dependencies register a readiness check here (database, Redis); /health/ready runs them all. */
@Injectable()
export class HealthService {
  private readonly logger = new Logger(HealthService.name);
  private readonly checks = new Map<string, ReadinessCheck>();
  private shuttingDown = false;

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  /** True once SIGTERM arrived: readiness fails and every response closes its connection. */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  async readiness(timeoutMs = 2000): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error('timed out')), timeoutMs).unref(),
            ),
          ]);
          return [name, DependencyStatus.Ok] as const;
        } catch (error) {
          this.logger.warn(
            `Readiness: ${name} unavailable: ${error instanceof Error ? error.message : 'failed'}`,
          );
          return [name, DependencyStatus.Unavailable] as const;
        }
      }),
    );
    const checks: ReadinessReport['checks'] = Object.fromEntries<DependencyStatus>(entries);
    if (this.shuttingDown) checks.shutdown = DependencyStatus.Unavailable;
    const ready = Object.values(checks).every((status) => status === DependencyStatus.Ok);
    return { ready, status: ready ? DependencyStatus.Ok : DependencyStatus.Unavailable, checks };
  }
}
