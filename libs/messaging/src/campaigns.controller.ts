import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrorCodes, ApiProblems, ErrorCode, Page, PageOf, UuidParam } from '@app/core';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import {
  CampaignDetailDto,
  CampaignDto,
  CampaignQueryDto,
  CampaignRequestDto,
  DryRunDto,
  SaveTemplateDto,
  TemplateDto,
  TemplateListDto,
} from './dto/campaign.dto.js';
import { CampaignsService } from './campaigns/campaigns.service.js';
import { TemplatesService } from './templates/templates.service.js';

@ApiTags('messaging')
@Controller('messaging')
export class CampaignsController {
  constructor(
    private readonly templates: TemplatesService,
    private readonly campaigns: CampaignsService,
  ) {}

  // --- templates ---

  @Post('templates')
  @ApiOperation({
    summary: 'Create a message template in your area',
    description:
      'Saves an SMS or email wording with named variables ({{firstName}}, {{membershipNumber}}, {{expiryDate}}, {{meetingDate}}, {{meetingPlace}}). An unknown variable answers 400 naming it. SMS templates answer their encoding (GSM-7 or UCS-2) and segment count with the opt-out text added and member variables at their longest; more than SMS_MAX_SEGMENTS segments answers 400. The template belongs to your area.',
  })
  @RequirePermission(Permission.MessagingSend)
  @ApiCreatedResponse({ type: TemplateDto })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  createTemplate(
    @CurrentUser() user: AuthUser,
    @Body() dto: SaveTemplateDto,
  ): Promise<TemplateDto> {
    return this.templates.create(user, dto);
  }

  @Get('templates')
  @ApiOperation({
    summary: 'Message templates of your area',
    description: 'The templates of your area and of the areas below it, by name (at most 500).',
  })
  @RequirePermission(Permission.MessagingRead)
  @ApiOkResponse({ type: TemplateListDto })
  async listTemplates(@CurrentUser() user: AuthUser): Promise<TemplateListDto> {
    return { items: await this.templates.list(user) };
  }

  @Get('templates/:id')
  @ApiOperation({
    summary: 'One message template',
    description: 'A template of your area (with its variables and SMS size); elsewhere 404.',
  })
  @RequirePermission(Permission.MessagingRead)
  @ApiOkResponse({ type: TemplateDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async template(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<TemplateDto> {
    return this.templates.toDto(await this.templates.findVisible(user, id));
  }

  @Put('templates/:id')
  @ApiOperation({
    summary: 'Replace a message template',
    description:
      'Replaces name, channel, subject and text, validated as on creation. Campaigns already made keep the wording they were made with. A template outside your area answers 404.',
  })
  @RequirePermission(Permission.MessagingSend)
  @ApiOkResponse({ type: TemplateDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  updateTemplate(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() dto: SaveTemplateDto,
  ): Promise<TemplateDto> {
    return this.templates.update(user, id, dto);
  }

  @Delete('templates/:id')
  @ApiOperation({
    summary: 'Delete a message template',
    description:
      'Deletes a template of your area (campaigns made from it keep their wording); elsewhere 404.',
  })
  @RequirePermission(Permission.MessagingSend)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  deleteTemplate(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string): Promise<void> {
    return this.templates.remove(user, id);
  }

  // --- campaigns ---

  @Post('campaigns/dry-run')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Count a campaign audience without saving or sending anything',
    description:
      'How many members the template would reach with this audience (an area within your area, member statuses, an optional expiry window; or the invitees of a meeting in your area, with {{meetingDate}} and {{meetingPlace}} from the meeting — another meeting answers 404), leaving out members who objected to being contacted, erased members and members without the channel; with a masked sample of up to 5 and the message as it would be queued. An area outside your area answers 403.',
  })
  @RequirePermission(Permission.MessagingSend)
  @ApiOkResponse({ type: DryRunDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN, HttpStatus.NOT_FOUND)
  dryRun(@CurrentUser() user: AuthUser, @Body() dto: CampaignRequestDto): Promise<DryRunDto> {
    return this.campaigns.dryRun(user, dto);
  }

  @Post('campaigns')
  @ApiOperation({
    summary: 'Create a campaign draft',
    description:
      'Saves the campaign (template wording with the campaign variables filled and, for SMS, the opt-out text added; the audience definition) as a draft with its recipient count. Nothing is sent until POST /messaging/campaigns/{id}/send. An area outside your area answers 403; a template outside it 404.',
  })
  @RequirePermission(Permission.MessagingSend)
  @ApiCreatedResponse({ type: CampaignDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN, HttpStatus.NOT_FOUND)
  createCampaign(
    @CurrentUser() user: AuthUser,
    @Body() dto: CampaignRequestDto,
  ): Promise<CampaignDto> {
    return this.campaigns.create(user, dto);
  }

  @Get('campaigns')
  @ApiOperation({
    summary: 'List campaigns',
    description:
      "Campaigns whose audience area lies in your area (a meeting audience: the meeting's area), newest first, optionally by status. Keyset pagination.",
  })
  @RequirePermission(Permission.MessagingRead)
  @ApiOkResponse({ type: PageOf(CampaignDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  listCampaigns(
    @CurrentUser() user: AuthUser,
    @Query() query: CampaignQueryDto,
  ): Promise<Page<CampaignDto>> {
    return this.campaigns.list(user, query);
  }

  @Get('campaigns/:id')
  @ApiOperation({
    summary: 'One campaign',
    description:
      'A campaign whose audience lies in your area: its status, counts and its messages by outbox status (queued, sending, sent, delivered, failed); elsewhere 404.',
  })
  @RequirePermission(Permission.MessagingRead)
  @ApiOkResponse({ type: CampaignDetailDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  campaign(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<CampaignDetailDto> {
    return this.campaigns.get(user, id);
  }

  @Post('campaigns/:id/send')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Send a campaign draft',
    description:
      'Queues one message per member of the audience (evaluated now, within your area) in one transaction, each at most once (idempotency key per campaign and member), and audits the send with the audience definition. Each admin may send CAMPAIGN_SENDS_PER_HOUR campaigns per hour (429 beyond). A campaign sent already answers 409; one outside your area 404.',
  })
  @RequirePermission(Permission.MessagingSend)
  @ApiOkResponse({ type: CampaignDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiErrorCodes(HttpStatus.TOO_MANY_REQUESTS, ErrorCode.RateLimited)
  sendCampaign(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<CampaignDto> {
    return this.campaigns.send(user, id);
  }
}
