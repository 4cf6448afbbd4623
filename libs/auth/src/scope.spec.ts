import { ScopedSql, scopePredicate } from './access/scoped-sql.js';
import { scopeContains, scopeCovers, ScopeLevel } from './scope.js';

const joburgWard = {
  provinceCode: 'GP',
  districtCode: 'JHB',
  municipalityCode: 'JHB',
  wardCode: '79800001',
};

describe('scope', () => {
  it('contains records inside the area and not outside', () => {
    expect(scopeContains({ level: ScopeLevel.National, code: null }, joburgWard)).toBe(true);
    expect(scopeContains({ level: ScopeLevel.Province, code: 'GP' }, joburgWard)).toBe(true);
    expect(scopeContains({ level: ScopeLevel.Province, code: 'LP' }, joburgWard)).toBe(false);
    expect(scopeContains({ level: ScopeLevel.Ward, code: '79800001' }, joburgWard)).toBe(true);
    expect(scopeContains({ level: ScopeLevel.Ward, code: '79800002' }, joburgWard)).toBe(false);
  });

  it('fails closed on a missing or malformed scope', () => {
    expect(scopeContains(null, joburgWard)).toBe(false);
    expect(scopeContains({ level: 'galaxy' as ScopeLevel, code: 'GP' }, joburgWard)).toBe(false);
    expect(scopeContains({ level: ScopeLevel.Province, code: null }, joburgWard)).toBe(false);
    expect(scopeContains({ level: ScopeLevel.National, code: 'GP' }, joburgWard)).toBe(false);
    expect(scopePredicate(undefined, 'm').sql).toBe('1 = 0');
    expect(scopePredicate({ level: ScopeLevel.District, code: '' }, 'm').sql).toBe('1 = 0');
  });

  it('builds a parameterised predicate on the denormalised column', () => {
    const p = scopePredicate({ level: ScopeLevel.Municipality, code: 'GT421' }, 'm');
    expect(p.sql).toMatch(/^m\.municipality_code = :scope_\d+$/);
    expect(Object.values(p.params)).toEqual(['GT421']);
    expect(scopePredicate({ level: ScopeLevel.National, code: null }, 'm').sql).toBe('1 = 1');
    expect(() => scopePredicate({ level: ScopeLevel.National, code: null }, 'm; DROP')).toThrow();
  });

  it('covers only areas at or below its own', () => {
    const gp = { level: ScopeLevel.Province, code: 'GP' };
    expect(scopeCovers(gp, { level: ScopeLevel.Ward, code: '79800001' }, joburgWard)).toBe(true);
    expect(scopeCovers(gp, { level: ScopeLevel.National, code: null }, null)).toBe(false);
    expect(
      scopeCovers(gp, { level: ScopeLevel.Province, code: 'LP' }, { provinceCode: 'LP' }),
    ).toBe(false);
    expect(
      scopeCovers(
        { level: ScopeLevel.Ward, code: '79800001' },
        { level: ScopeLevel.Province, code: 'GP' },
        { provinceCode: 'GP' },
      ),
    ).toBe(false);
  });
});

describe('ScopedSql', () => {
  it('emits the scope with positional parameters after the ones before it', () => {
    const sql = new ScopedSql();
    const id = sql.param('x');
    expect(`${id} ${sql.scope({ level: ScopeLevel.Ward, code: '79800001' }, 'm')}`).toBe(
      '$1 m.ward_code = $2',
    );
    expect(sql.values).toEqual(['x', '79800001']);
    expect(sql.scope({ level: ScopeLevel.Province, code: null }, 'm')).toBe('1 = 0');
    expect(sql.scope({ level: ScopeLevel.National, code: null }, 'm')).toBe('1 = 1');
    expect(() => sql.scope(null, 'm; DROP')).toThrow();
  });
});
