import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import {
  ApiErrorCodes,
  ApiFileResponse,
  ApiProblems,
  ErrorCode,
  FileMediaType,
  PageOf,
  UuidParam,
} from '@app/core';
import type { Page } from '@app/core';
import {
  AttendanceDto,
  AttendanceResultDto,
  AttendeeDto,
  ChangeMeetingStatusDto,
  CreateMeetingDto,
  InviteeDto,
  MeetingDto,
  MeetingQueryDto,
  RegisterQueryDto,
  UpdateMeetingDto,
} from './dto/branches.dto.js';
import { MeetingsService } from './meetings.service.js';
import { RegisterService } from './register.service.js';

@ApiTags('branches')
@Controller('meetings')
export class MeetingsController {
  constructor(
    private readonly meetings: MeetingsService,
    private readonly register: RegisterService,
  ) {}

  @Post()
  @RequirePermission(Permission.BranchesManage)
  @ApiCreatedResponse({ type: MeetingDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Schedule a meeting',
    description:
      'A BGA or BPA of a ward (wardCode), or a meeting of a command structure (structureId: CCT, War Council, PCT, RCT, SRCT, BCT). The ward or structure must lie inside your area (else 403; an unknown structure 404, an unknown ward 400). Status starts as scheduled.',
  })
  create(@CurrentUser() actor: AuthUser, @Body() body: CreateMeetingDto): Promise<MeetingDto> {
    return this.meetings.create(actor, body);
  }

  @Get()
  @RequirePermission(Permission.BranchesRead)
  @ApiOkResponse({ type: PageOf(MeetingDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'List meetings',
    description:
      'Meetings inside your area, newest first (scheduled date), filtered by ward, structure, type or status. Keyset pagination.',
  })
  list(@CurrentUser() actor: AuthUser, @Query() query: MeetingQueryDto): Promise<Page<MeetingDto>> {
    return this.meetings.list(actor, query);
  }

  @Get(':id')
  @RequirePermission(Permission.BranchesRead)
  @ApiOkResponse({ type: MeetingDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Get a meeting with its figures',
    description:
      'The meeting and its computed figures: invited, members in good standing on the meeting date, quorum = floor(in good standing / 2) + 1, attendees and quorumMet. Frozen once verified. Outside your area: 404.',
  })
  get(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<MeetingDto> {
    return this.meetings.get(actor, id);
  }

  @Patch(':id')
  @RequirePermission(Permission.BranchesManage)
  @ApiOkResponse({ type: MeetingDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiErrorCodes(
    HttpStatus.CONFLICT,
    ErrorCode.MeetingLocked,
    ErrorCode.VersionConflict,
    ErrorCode.InvalidStatusTransition,
  )
  @ApiOperation({
    summary: 'Change a meeting',
    description:
      'Date, place, presiding officer and secretary (invitees of the meeting: a member of the ward, Active or Grace Period on the meeting date, or an office bearer of the structure; else 400), agenda, minutes, decisions and outcome as text. Optimistic locking by version. A held meeting cannot move to a date after today (409 INVALID_STATUS_TRANSITION). A verified meeting is locked: 409 MEETING_LOCKED. Outside your area: 403.',
  })
  update(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: UpdateMeetingDto,
  ): Promise<MeetingDto> {
    return this.meetings.update(actor, id, body);
  }

  @Post(':id/status')
  @RequirePermission(Permission.BranchesManage)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: MeetingDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.MeetingLocked, ErrorCode.InvalidStatusTransition)
  @ApiOperation({
    summary: 'Record that a meeting was held, cancelled or postponed',
    description:
      'scheduled (or postponed) → held | cancelled | postponed. Held only on or after the scheduled date. The admin who records held is remembered: a higher-level admin verifies. Locked once verified (409).',
  })
  changeStatus(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: ChangeMeetingStatusDto,
  ): Promise<MeetingDto> {
    return this.meetings.changeStatus(actor, id, body);
  }

  @Get(':id/invitations')
  @RequirePermission(Permission.BranchesRead)
  @ApiOkResponse({ type: [InviteeDto] })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'List who is invited',
    description:
      'A ward assembly: every Active and Grace Period member of the ward on the meeting date (status derived from renewals, transfers and status history; see docs/branches.md). A structure meeting: its office bearers on that date. Computed on every read.',
  })
  invitations(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<InviteeDto[]> {
    return this.meetings.invitations(actor, id);
  }

  @Get(':id/attendance')
  @RequirePermission(Permission.BranchesRead)
  @ApiOkResponse({ type: [AttendeeDto] })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'List the attendees',
    description: 'Attendees recorded for the meeting, with whether each counts for the quorum.',
  })
  attendance(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<AttendeeDto[]> {
    return this.meetings.attendance(actor, id);
  }

  @Post(':id/attendance')
  @RequirePermission(Permission.BranchesManage)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AttendanceResultDto })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.UNPROCESSABLE_ENTITY,
  )
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.MeetingLocked)
  @ApiErrorCodes(
    HttpStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.AttendanceRejected,
    ErrorCode.MeetingNotEligible,
  )
  @ApiOperation({
    summary: 'Record attendees by membership number',
    description:
      'One or many membership numbers in one transaction. Each must be invited (a member of the ward, Active or Grace Period on the meeting date; or an office bearer of the structure). Any refusal answers 422 ATTENDANCE_REJECTED with `rejected: [{ membershipNumber, reason }]` (unknown, other_ward, not_invited, duplicate, already_recorded) and nothing is written. Not for cancelled or postponed meetings, nor before the meeting date; 409 once verified.',
  })
  recordAttendance(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: AttendanceDto,
  ): Promise<AttendanceResultDto> {
    return this.meetings.recordAttendance(actor, id, body.membershipNumbers);
  }

  @Post(':id/verify')
  @RequirePermission(Permission.BranchesVerify)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: MeetingDto })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.UNPROCESSABLE_ENTITY,
  )
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.MeetingLocked)
  @ApiErrorCodes(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.MeetingNotEligible)
  @ApiOperation({
    summary: 'Verify a held meeting (four eyes)',
    description:
      'By an admin of a strictly higher level than the one who recorded the meeting as held (a national recorder: another national user), never by the recorder (403). Freezes the figures and locks the meeting (later changes: 409 MEETING_LOCKED).',
  })
  verify(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<MeetingDto> {
    return this.meetings.verify(actor, id);
  }

  @Get(':id/register')
  @RequirePermission(Permission.BranchesRead)
  @ApiFileResponse([FileMediaType.Xlsx, FileMediaType.Csv, FileMediaType.Pdf], {
    description: 'The attendance register',
  })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Download the attendance register',
    description:
      'Every invitee (membership number, surname, first names, status on the meeting date, present, and an empty signature column) as XLSX or CSV through the table writer, or a printable PDF through the shared PDF layer. Generated on demand; audited.',
  })
  async downloadRegister(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Query() query: RegisterQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    await this.register.write(actor, id, query.format, res);
  }
}
