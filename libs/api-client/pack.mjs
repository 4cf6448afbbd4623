// npm run client:pack [-- --destination DIR]: builds libs/api-client as an npm package (ESM + declarations, the
// version of the API's package.json) and writes its tarball to DIR (default dist/); prints the tarball's path.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const here = import.meta.dirname;
const root = path.resolve(here, '../..');
const staging = path.join(root, 'dist/api-client-package');
const { values } = parseArgs({ options: { destination: { type: 'string', default: 'dist' } } });
const destination = path.resolve(values.destination);

rmSync(staging, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    path.join(root, 'node_modules/typescript/bin/tsc'),
    '-p',
    path.join(here, 'tsconfig.package.json'),
  ],
  { stdio: 'inherit' },
);
const manifest = JSON.parse(readFileSync(path.join(here, 'package.json'), 'utf8'));
manifest.version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
writeFileSync(path.join(staging, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
copyFileSync(path.join(here, 'README.md'), path.join(staging, 'README.md'));

mkdirSync(destination, { recursive: true });
const [packed] = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: staging,
    encoding: 'utf8',
  }),
);
console.log(path.join(destination, packed.filename));
