import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Makes sure programs from Debian's packages are installed, installing the missing ones with apt-get (the deploy
 * suite tests real Nginx, certbot, pebble...). Idempotent and cheap when everything is there. Jest workers may
 * call it at the same time, so apt runs under one lock (flock) and waits for dpkg's lock too.
 *
 * `programs` maps a program name to the package that provides it, e.g. { nginx: 'nginx', certbot: 'certbot' }.
 */
export function ensureDebianPrograms(programs: Record<string, string>): void {
  const decision = debianProgramsDecision(programs, machine());
  if (decision.action === 'ready') return;
  if (decision.action === 'skip') throw new Error(decision.reason);
  const packages = decision.packages;
  const script = [
    'set -e',
    // Re-check under the lock: another worker may have installed them meanwhile.
    `missing=""; for p in ${packages.join(' ')}; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done`,
    '[ -z "$missing" ] && exit 0',
    'apt-get -o DPkg::Lock::Timeout=300 update -qq',
    'DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing',
  ].join('\n');
  execFileSync('flock', ['/tmp/eff-deploy-tests-apt.lock', 'bash', '-c', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 540_000,
  });
  const still = Object.keys(programs).filter((program) => !hasProgram(program));
  if (still.length > 0) throw new Error(`Still missing after apt-get install: ${still.join(', ')}`);
}

/** PATH with the sbin folders, where nginx and ufw live, even when the caller's PATH lacks them. */
export const SBIN_PATH = `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/local/sbin:/usr/sbin:/sbin`;

export function hasProgram(program: string): boolean {
  return programPath(program) !== null;
}

/** Absolute path of a program, or null. */
export function programPath(program: string): string | null {
  const result = spawnSync('bash', ['-c', `command -v ${program}`], {
    encoding: 'utf8',
    env: { ...process.env, PATH: SBIN_PATH },
  });
  return result.status === 0 ? result.stdout.trim() : null;
}

function unpackedDir(pkg: string): string {
  return `/tmp/eff-debian-unpacked/${pkg}`;
}

/**
 * A program from a Debian package without installing the package (no maintainer scripts, so no daemon starts):
 * the installed one when present, else the package is downloaded and unpacked once into a cache folder.
 * E.g. promtool from `prometheus`, whose install would also start a Prometheus server.
 */
export function debianProgramWithoutInstall(
  program: string,
  pkg: string,
  binDir = 'usr/bin',
): string {
  const installed = programPath(program);
  if (installed) return installed;
  const dir = unpackedDir(pkg);
  const script = [
    'set -e',
    `[ -x "${dir}/${binDir}/${program}" ] && exit 0`,
    `rm -rf "${dir}" && mkdir -p "${dir}/deb"`,
    'apt-get -o DPkg::Lock::Timeout=300 update -qq',
    `cd "${dir}/deb" && apt-get download -qq "${pkg}"`,
    `dpkg -x "${dir}"/deb/*.deb "${dir}"`,
  ].join('\n');
  execFileSync('flock', ['/tmp/eff-deploy-tests-apt.lock', 'bash', '-c', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  return `${dir}/${binDir}/${program}`;
}

/** What the deploy specs need to know about this machine to decide whether they can get their tools. */
export interface DebianMachine {
  isRoot: boolean;
  hasAptGet: boolean;
  hasProgram(program: string): boolean;
}

export type DebianProgramsDecision =
  | { action: 'ready' }
  | { action: 'install'; packages: string[] }
  | { action: 'skip'; reason: string };

/**
 * Whether a spec needing `programs` (program -> Debian package) can run here: they are all installed, or the
 * missing ones can be installed (root and apt-get), or not; then `reason` is one line saying what and how.
 */
export function debianProgramsDecision(
  programs: Record<string, string>,
  here: DebianMachine,
): DebianProgramsDecision {
  const missing = Object.entries(programs).filter(([program]) => !here.hasProgram(program));
  if (missing.length === 0) return { action: 'ready' };
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  if (here.isRoot && here.hasAptGet) return { action: 'install', packages };
  const why = here.hasAptGet ? 'installing them needs root' : 'this machine has no apt-get';
  return {
    action: 'skip',
    reason:
      `needs ${missing.map(([program]) => program).join(', ')}, which are not installed and ${why}; ` +
      `to run it: apt-get install ${packages.join(' ')} (or run npm test as root on Debian/Ubuntu)`,
  };
}

function machine(): DebianMachine {
  return { isRoot: process.getuid?.() === 0, hasAptGet: hasProgram('apt-get'), hasProgram };
}

/**
 * `describe` for a deploy spec that needs programs from Debian's packages: on a machine that has them, or can
 * install them (root with apt-get), the spec runs and ensureDebianPrograms installs what is missing; elsewhere
 * the spec is skipped and says why and how to run it, in one line. `withoutInstall`: the spec gets them with
 * debianProgramWithoutInstall.
 */
export function describeNeedingDebian(
  programs: Record<string, string>,
  options: { withoutInstall?: boolean } = {},
): (name: string, fn: () => void) => void {
  const here = machine();
  // debianProgramWithoutInstall's cache counts as installed.
  if (options.withoutInstall) {
    here.hasProgram = (program) =>
      hasProgram(program) ||
      existsSync(`${unpackedDir(programs[program] ?? program)}/usr/bin/${program}`);
  }
  const decision = debianProgramsDecision(programs, here);
  if (decision.action !== 'skip') return describe;
  return (name, fn) => {
    process.stderr.write(`Skipping deploy spec "${name}": ${decision.reason}\n`);
    // Skipped only where the Debian programs are missing and cannot be installed (not root, or no apt-get): the
    // spec would otherwise throw in setup. The line above tells the reader why and what to install.
    describe.skip(name, fn);
  };
}
