import { District } from './district.entity.js';
import { Municipality } from './municipality.entity.js';
import { Province } from './province.entity.js';
import { Ward } from './ward.entity.js';

export { District, DistrictType } from './district.entity.js';
export { Municipality, MunicipalityCategory } from './municipality.entity.js';
export { Province } from './province.entity.js';
export { Ward } from './ward.entity.js';

export const GEOGRAPHY_ENTITIES = [Province, District, Municipality, Ward];
