// Nest 12 is ESM-only, so jest runs in native ESM mode (npm test sets --experimental-vm-modules).
// Unit specs live next to the code, e2e specs in test/; all run against real PostgreSQL and Redis.
import { readFileSync } from 'node:fs';

const { compilerOptions } = JSON.parse(
  readFileSync(new URL('./tsconfig.json', import.meta.url), 'utf8'),
);
const aliases = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias}$`,
    `<rootDir>/${target.replace(/^\.\//, '')}`,
  ]),
);

export default {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/migrations', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: { ...aliases, '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: '<rootDir>/test/harness/global-setup.mjs',
  globalTeardown: '<rootDir>/test/harness/global-teardown.mjs',
  // Hooks too: starting an app on a loaded 2-core CI machine has taken over 60 s (the harness waits up to 100 s).
  testTimeout: 120000,
  maxWorkers: 2,
  // A spec that fails mid-start can leave a child process behind; CI must end, not wait 90 minutes for it.
  forceExit: true,
};
