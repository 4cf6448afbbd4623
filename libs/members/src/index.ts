export * from './applications/dto/application.dto.js';
export * from './applications/applications.service.js';
export * from './dto/create-member.dto.js';
export * from './dto/member.dto.js';
export * from './entities/index.js';
export * from './identity.js';
export * from './member-validators.js';
export * from './members.module.js';
export * from './member-filter-sql.js';
export * from './member-errors.js';
export * from './member-lifecycle.service.js';
export * from './member-mapper.js';
export * from './member-queries.js';
export * from './members.service.js';
export * from './member-standing.service.js';
export * from './membership-dates.js';
export * from './new-member.js';
export * from './status-recalculation.service.js';
export * from './seed/index.js';
export * from './imports/member-import.kind.js';
export * from './imports/member-imports.module.js';
export * from './imports/member-imports.service.js';
export * from './imports/import-row.js';
export { MEMBERS_IMPORTED_ACTION } from './imports/import-writes.js';
export {
  FileFormatQueryDto,
  ImportJobDto,
  ListImportsQueryDto,
  toImportJobDto,
} from './imports/dto/import.dto.js';
export * from './exports/member-export.module.js';
export * from './exports/member-export.service.js';

export * from './dto/minimised.dto.js';
export * from './minimisation.js';
export * from './list-access.js';
export * from './registration-conflicts/dto/registration-conflict.dto.js';
export * from './registration-conflicts/registration-conflicts.js';
export * from './registration-conflicts/registration-conflicts.service.js';
