import { AreaChain, Scope, scopeContains, ScopeLevel } from '@app/auth';
import { STRUCTURE_SCOPE_LEVEL } from './leadership.enums.js';
import { LeadershipPosition } from './entities/leadership-position.entity.js';
import { LeadershipStructure } from './entities/leadership-structure.entity.js';

type StructureArea = Pick<
  LeadershipStructure,
  'kind' | 'areaCode' | 'provinceCode' | 'districtCode' | 'municipalityCode' | 'wardCode'
>;

/** The area a structure covers, as a scope (national for the CCT and the War Council). */
export function structureScope(structure: StructureArea): Scope {
  const level = STRUCTURE_SCOPE_LEVEL[structure.kind];
  return { level, code: level === ScopeLevel.National ? null : structure.areaCode };
}

/** The structure's area chain; null for national structures. */
export function structureChain(structure: StructureArea): AreaChain | null {
  return structure.provinceCode
    ? {
        provinceCode: structure.provinceCode,
        districtCode: structure.districtCode,
        municipalityCode: structure.municipalityCode,
        wardCode: structure.wardCode,
      }
    : null;
}

export interface MemberArea {
  provinceCode: string;
  districtCode: string;
  municipalityCode: string;
  wardCode: string;
}

/** Whether a member at `area` lies inside the area the position requires (the province for a deployee). */
export function memberInsideArea(
  structure: StructureArea,
  position: Pick<LeadershipPosition, 'provinceCode'>,
  area: MemberArea,
): boolean {
  if (position.provinceCode) return area.provinceCode === position.provinceCode;
  return scopeContains(structureScope(structure), area);
}
