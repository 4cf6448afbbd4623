import { passwordProblem } from './password-policy.js';

describe('password policy', () => {
  it.each([
    'Ward-Organiser-Pass-2026!',
    'Harness-Chief-Admin-2026!',
    'correct horse battery staple',
    'Welcome-to-the-Thursday-meeting',
    'glove-maker-rumba-77',
    'Tr0ub4dor&3-xylophone',
    'K8#vq!2Lm9@zR4',
  ])('accepts %s', (password) => {
    expect(passwordProblem(password, 'thandi@example.org')).toBeNull();
  });

  it.each([
    ['Sh0rt!', 'must be at least 12 characters'],
    ['x'.repeat(129), 'must be at most 128 characters'],
    ['aaaaaaaaaaaaaa', 'uses too few different characters'],
    ['123456789012345', 'is too predictable'],
    ['abcdefghijklm', 'is too predictable'],
    ['Password12345!', 'is a commonly used password'],
    ['password2020!!', 'is a commonly used password'],
    ['P@55w0rd2026!', 'is a commonly used password'],
    ['adminadmin123', 'is a commonly used password'],
    ['1q2w3e4r5t6y7u', 'is a commonly used password'],
    ['qwertyuiop123', 'is a commonly used password'],
    ['Zxcvbnm-98765', 'is a commonly used password'],
    ['Amandla!Ngawethu1', 'is a commonly used password'],
    ['Kaizerchiefs2024', 'is a commonly used password'],
    ['iloveyou-love!', 'is a commonly used password'],
    ['thandi-secure-2026', 'must not contain your email address'],
  ])('refuses %s: %s', (password, problem) => {
    expect(passwordProblem(password, 'thandi@example.org')).toBe(problem);
  });
});
