import { DebianMachine, debianProgramsDecision } from '../harness/debian.js';

function machine(isRoot: boolean, hasAptGet: boolean, installed: string[]): DebianMachine {
  return { isRoot, hasAptGet, hasProgram: (program) => installed.includes(program) };
}

describe('whether a deploy spec can get the Debian programs it needs', () => {
  const tools = { nginx: 'nginx', certbot: 'certbot', dig: 'bind9-dnsutils' };

  it('runs when everything is installed, whoever runs it', () => {
    expect(
      debianProgramsDecision(tools, machine(false, false, ['nginx', 'certbot', 'dig'])),
    ).toEqual({ action: 'ready' });
  });

  it('installs the missing packages as root with apt-get', () => {
    expect(debianProgramsDecision(tools, machine(true, true, ['nginx']))).toEqual({
      action: 'install',
      packages: ['certbot', 'bind9-dnsutils'],
    });
  });

  it('skips with one line saying why and how to run it otherwise', () => {
    const notRoot = debianProgramsDecision(tools, machine(false, true, ['nginx']));
    expect(notRoot).toEqual({
      action: 'skip',
      reason:
        'needs certbot, dig, which are not installed and installing them needs root; to run it: ' +
        'apt-get install certbot bind9-dnsutils (or run npm test as root on Debian/Ubuntu)',
    });
    const noApt = debianProgramsDecision(tools, machine(true, false, []));
    expect(noApt).toMatchObject({ action: 'skip' });
    expect(noApt.action === 'skip' && noApt.reason).toMatch(
      /^needs nginx, certbot, dig, which are not installed and this machine has no apt-get; to run it: apt-get install nginx certbot bind9-dnsutils/,
    );
    expect(noApt.action === 'skip' && noApt.reason).not.toContain('\n');
  });
});
