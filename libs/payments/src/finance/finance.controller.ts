import { Controller, Get, HttpStatus, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiFileResponse, ApiProblems, FileMediaType } from '@app/core';
import type { Page } from '@app/core';
import { downloadHeaders } from '@app/files';
import { PaymentDto, PaymentPage } from '../dto/payment.dto.js';
import {
  ForecastMemberDto,
  ForecastMemberPage,
  PaymentTotalsDto,
  PaymentTotalsExportQueryDto,
  PaymentTotalsQueryDto,
  PendingPaymentsExportQueryDto,
  PendingPaymentsQueryDto,
  RenewalForecastDto,
  RenewalForecastExportQueryDto,
  RenewalForecastMembersQueryDto,
  RenewalForecastQueryDto,
} from './dto/finance.dto.js';
import { FinanceService } from './finance.service.js';

const AREA =
  'areaLevel/areaCode choose an area inside yours (default: your own area); an unknown area or one outside yours answers 404.';
const today = (): string => new Date().toISOString().slice(0, 10);

@ApiTags('payments')
@Controller('finance')
export class FinanceController {
  constructor(private readonly finance: FinanceService) {}

  @Get('pending-payments')
  @RequirePermission(Permission.PaymentsRead)
  @ApiOkResponse({ type: PaymentPage })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Payments waiting for verification in an area',
    description: `A keyset page of the pending payments of members and applications, oldest first (the verification queue). ${AREA}`,
  })
  async pending(
    @CurrentUser() actor: AuthUser,
    @Query() query: PendingPaymentsQueryDto,
  ): Promise<Page<PaymentDto>> {
    const area = await this.finance.area(actor, query.areaLevel, query.areaCode);
    return this.finance.pending(actor, area, query);
  }

  @Get('pending-payments/export')
  @RequirePermission(Permission.PaymentsRead)
  @ApiFileResponse([FileMediaType.Csv, FileMediaType.Xlsx], {
    description: 'The pending payments of the area, oldest first, streamed',
  })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Export the payments waiting for verification (CSV or XLSX)',
    description: `Every pending payment of the area, as the list has them. ${AREA} Audited as finance.exported.`,
  })
  async exportPending(
    @CurrentUser() actor: AuthUser,
    @Query() query: PendingPaymentsExportQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const area = await this.finance.area(actor, query.areaLevel, query.areaCode);
    res.set(downloadHeaders(query.format, `pending-payments-${today()}`));
    await this.finance.exportPending(actor, area, query.format, res);
  }

  @Get('totals')
  @RequirePermission(Permission.PaymentsRead)
  @ApiOkResponse({ type: PaymentTotalsDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Payment totals by month and method for an area',
    description: `Count and sum of the payments paid from \`from\` to \`to\` (by paid-on date; at most 36 months; default the last 12 months), per month, method and status, verified only unless status says otherwise. Card checkouts not yet confirmed have no paid-on date and are not counted. ${AREA}`,
  })
  async totals(
    @CurrentUser() actor: AuthUser,
    @Query() query: PaymentTotalsQueryDto,
  ): Promise<PaymentTotalsDto> {
    const area = await this.finance.area(actor, query.areaLevel, query.areaCode);
    return this.finance.totals(actor, area, query);
  }

  @Get('totals/export')
  @RequirePermission(Permission.PaymentsRead)
  @ApiFileResponse([FileMediaType.Csv, FileMediaType.Xlsx], {
    description: 'The totals rows (Month, Method, Status, Count, Amount (cents))',
  })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Export the payment totals (CSV or XLSX)',
    description: `The rows of GET /finance/totals for the same query. ${AREA} Audited as finance.exported.`,
  })
  async exportTotals(
    @CurrentUser() actor: AuthUser,
    @Query() query: PaymentTotalsExportQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const area = await this.finance.area(actor, query.areaLevel, query.areaCode);
    const totals = await this.finance.totals(actor, area, query);
    res.set(downloadHeaders(query.format, `payment-totals-${today()}`));
    await this.finance.exportTotals(actor, area, totals, query.status, query.format, res);
  }

  @Get('renewal-forecast')
  @RequirePermission(Permission.PaymentsRead)
  @ApiOkResponse({ type: RenewalForecastDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Renewal forecast: members expiring in the next 30, 60 or 90 days',
    description: `How many members (not cancelled, deceased or erased) have an expiry date from today to today + days, in the area and per child area. ${AREA}`,
  })
  async forecast(
    @CurrentUser() actor: AuthUser,
    @Query() query: RenewalForecastQueryDto,
  ): Promise<RenewalForecastDto> {
    const area = await this.finance.area(actor, query.areaLevel, query.areaCode);
    return this.finance.forecast(actor, area, query.days);
  }

  @Get('renewal-forecast/members')
  @RequirePermission(Permission.PaymentsRead)
  @ApiOkResponse({ type: ForecastMemberPage })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Renewal forecast: the members due',
    description: `A keyset page of the members of the forecast, soonest expiry first. Auditors and finance officers see them minimised (no contact details, minimised: true); members who objected to contact have none for anyone. ${AREA}`,
  })
  async forecastMembers(
    @CurrentUser() actor: AuthUser,
    @Query() query: RenewalForecastMembersQueryDto,
  ): Promise<Page<ForecastMemberDto>> {
    const area = await this.finance.area(actor, query.areaLevel, query.areaCode);
    return this.finance.forecastMembers(actor, area, query.days, query);
  }

  @Get('renewal-forecast/export')
  @RequirePermission(Permission.PaymentsRead)
  @ApiFileResponse([FileMediaType.Csv, FileMediaType.Xlsx], {
    description: 'The members of the forecast, soonest expiry first, streamed',
  })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Export the renewal forecast members (CSV or XLSX)',
    description: `The members of GET /finance/renewal-forecast/members; auditors and finance officers get no contact columns. ${AREA} Audited as finance.exported.`,
  })
  async exportForecast(
    @CurrentUser() actor: AuthUser,
    @Query() query: RenewalForecastExportQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const area = await this.finance.area(actor, query.areaLevel, query.areaCode);
    res.set(downloadHeaders(query.format, `renewal-forecast-${query.days}d-${today()}`));
    await this.finance.exportForecast(actor, area, query.days, query.format, res);
  }
}
