import { ApiExtraModels, ApiProperty, getSchemaPath, OmitType } from '@nestjs/swagger';
import { ApplicationDto } from '../applications/dto/application.dto.js';
import { PERSONAL_FIELDS } from '../minimisation.js';
import { MemberDto } from './member.dto.js';

/** A member as minimised roles (auditors) see it: no ID number, date of birth or contact details. */
export class MinimisedMemberDto extends OmitType(MemberDto, PERSONAL_FIELDS) {
  @ApiProperty({ enum: [true], description: 'Always true: personal fields were left out' })
  minimised!: true;
}

/** An application as minimised roles (auditors) see it: no ID number, date of birth or contact details. */
export class MinimisedApplicationDto extends OmitType(ApplicationDto, [
  ...PERSONAL_FIELDS,
  'duplicates',
] as const) {
  @ApiProperty({ enum: [true], description: 'Always true: personal fields were left out' })
  minimised!: true;
}

export type MemberView = MemberDto | MinimisedMemberDto;
export type ApplicationView = ApplicationDto | MinimisedApplicationDto;

/** The schema of a single read: `oneOf` the full and the minimised member (auditors get the second). */
export const MEMBER_VIEW_SCHEMA = {
  oneOf: [{ $ref: getSchemaPath(MemberDto) }, { $ref: getSchemaPath(MinimisedMemberDto) }],
};

/** The schema of a single read: `oneOf` the full and the minimised application. */
export const APPLICATION_VIEW_SCHEMA = {
  oneOf: [
    { $ref: getSchemaPath(ApplicationDto) },
    { $ref: getSchemaPath(MinimisedApplicationDto) },
  ],
};

const NEXT_CURSOR = {
  type: String,
  nullable: true,
  description: 'Pass as ?cursor= to get the next page; null on the last page',
} as const;

/** A page of members: full ones, or minimised ones for auditors. */
@ApiExtraModels(MemberDto, MinimisedMemberDto)
export class MemberPage {
  @ApiProperty({
    type: 'array',
    items: MEMBER_VIEW_SCHEMA,
  })
  data!: MemberView[];

  @ApiProperty(NEXT_CURSOR)
  nextCursor!: string | null;
}

/** A page of applications: full ones, or minimised ones for auditors. */
@ApiExtraModels(ApplicationDto, MinimisedApplicationDto)
export class ApplicationPage {
  @ApiProperty({
    type: 'array',
    items: APPLICATION_VIEW_SCHEMA,
  })
  data!: ApplicationView[];

  @ApiProperty(NEXT_CURSOR)
  nextCursor!: string | null;
}
