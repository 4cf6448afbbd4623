export default async function globalTeardown() {
  const harness = globalThis.__effHarness;
  if (!harness) return;
  harness.redis.process?.kill('SIGTERM');
  await harness.postgres.stop();
}
