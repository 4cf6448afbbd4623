// The node flags and malloc setting production runs the API with (deploy/pm2/ecosystem.config.cjs; the Dockerfile
// has the same), so the benches measure the API as it is deployed. BENCH_API_NODE_ARGS overrides the flags ('' for
// node's defaults), MALLOC_ARENA_MAX the malloc setting.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const ecosystem = createRequire(import.meta.url)('../deploy/pm2/ecosystem.config.cjs');

export const API_NODE_ARGS = (
  process.env.BENCH_API_NODE_ARGS ?? ecosystem.apps[0].node_args.join(' ')
)
  .split(' ')
  .filter(Boolean);

/** glibc's malloc arenas, as the Dockerfile sets them (and PM2's daemon, deploy/docs/GUIDE.md). */
export const API_ENV = {
  MALLOC_ARENA_MAX:
    process.env.MALLOC_ARENA_MAX ??
    /MALLOC_ARENA_MAX=(\d+)/.exec(
      readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8'),
    )[1],
};
