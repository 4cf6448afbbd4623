// steadyRun (bench/_api.mjs) in a process of its own, so the load generator's timing is not disturbed by the GC of
// a bench process that has been doing other work: node bench/_steady.mjs <url> <rate> <seconds> <warm-up seconds>
// with the access token in BENCH_TOKEN; prints the result as JSON.
import { steadyRun } from './_api.mjs';

const [url, rate, seconds, warmupSeconds] = process.argv.slice(2);
const token = process.env.BENCH_TOKEN;
if (Number(warmupSeconds) > 0) await steadyRun(url, token, Number(rate), Number(warmupSeconds));
console.log(JSON.stringify(await steadyRun(url, token, Number(rate), Number(seconds))));
