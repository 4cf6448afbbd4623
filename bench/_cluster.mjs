// Runs the API as PM2's cluster mode does (Node's cluster module: one port, connections handed to N workers), for
// bench/members.mjs with BENCH_API_WORKERS > 1. Node flags given to this script pass on to the workers.
//
//   node [flags] bench/_cluster.mjs <main.js> <workers>
import cluster from 'node:cluster';

const [main, count] = process.argv.slice(2);
cluster.setupPrimary({ exec: main, execArgv: process.execArgv });
for (let i = 0; i < Number(count); i += 1) cluster.fork();
cluster.on('exit', (worker, code) => {
  if (code !== 0) console.error(`worker ${worker.process.pid} exited with ${code}`);
  if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
});
process.on('SIGTERM', () => {
  for (const worker of Object.values(cluster.workers ?? {})) worker?.send('shutdown');
});
