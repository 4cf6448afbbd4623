import { LeadershipAppointment } from './leadership-appointment.entity.js';
import { LeadershipPosition } from './leadership-position.entity.js';
import { LeadershipStructure } from './leadership-structure.entity.js';

export * from './leadership-appointment.entity.js';
export * from './leadership-position.entity.js';
export * from './leadership-structure.entity.js';

export const LEADERSHIP_ENTITIES = [LeadershipStructure, LeadershipPosition, LeadershipAppointment];
