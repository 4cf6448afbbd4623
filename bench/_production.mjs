// The node flags production runs the API with (deploy/pm2/ecosystem.config.cjs; the Dockerfile has the same), so
// the benches measure the API as it is deployed. BENCH_API_NODE_ARGS overrides them ('' for node's defaults).
import { createRequire } from 'node:module';

const ecosystem = createRequire(import.meta.url)('../deploy/pm2/ecosystem.config.cjs');

export const API_NODE_ARGS = (
  process.env.BENCH_API_NODE_ARGS ?? ecosystem.apps[0].node_args.join(' ')
)
  .split(' ')
  .filter(Boolean);
