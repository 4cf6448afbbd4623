import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiFileResponse, ApiProblems, FileMediaType, Public, UuidParam } from '@app/core';
import { CardKeyring } from './card-keyring.js';
import { CardVerifyThrottleGuard } from './card-verify-throttle.guard.js';
import { CardsService } from './cards.service.js';
import {
  CardJwksDto,
  CardsRevokedDto,
  CardVerificationDto,
  RevokeCardDto,
  VerifyCardQueryDto,
  WardCodeParamDto,
} from './dto/cards.dto.js';

function sendPdf(res: Response, file: { pdf: Buffer; name: string }): void {
  res
    .set({
      'Content-Type': 'application/pdf',
      'Content-Disposition': `attachment; filename="${file.name}.pdf"`,
      'Cache-Control': 'no-store',
    })
    .send(file.pdf);
}

const CARD_PDF =
  'A PDF card: name, membership number, ward, status and expiry as of issue, and a QR code carrying the signed token (see GET /cards/verify). Issued only to Active or Grace Period members (else 409 MEMBER_INELIGIBLE); downloading again gives the same card while nothing on it changed. Issuing is recorded and audited. 503 when no card signing key is configured.';

@ApiTags('cards')
@Controller()
export class CardsController {
  constructor(
    private readonly cards: CardsService,
    private readonly keyring: CardKeyring,
  ) {}

  @Get('me/card')
  @RequirePermission(Permission.MeRead)
  @ApiFileResponse([FileMediaType.Pdf], { description: 'Your membership card' })
  @ApiProblems(HttpStatus.NOT_FOUND, HttpStatus.CONFLICT, HttpStatus.SERVICE_UNAVAILABLE)
  @ApiOperation({
    summary: 'Download your membership card',
    description: `Your own (the member linked to your account; 404 when there is none). ${CARD_PDF}`,
  })
  async myCard(@CurrentUser() user: AuthUser, @Res() res: Response): Promise<void> {
    sendPdf(res, await this.cards.myCard(user));
  }

  @Get('members/:id/card')
  @RequirePermission(Permission.CardsIssue)
  @ApiFileResponse([FileMediaType.Pdf], { description: "The member's card" })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.SERVICE_UNAVAILABLE,
  )
  @ApiOperation({
    summary: "Download a member's card",
    description: `A member inside your area (404 outside). ${CARD_PDF}`,
  })
  async memberCard(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Res() res: Response,
  ): Promise<void> {
    sendPdf(res, await this.cards.memberCard(actor, id));
  }

  @Post('members/:id/card/revoke')
  @RequirePermission(Permission.CardsRevoke)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: CardsRevokedDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: "Revoke a member's cards",
    description:
      "Revokes every valid card of a member inside your area (404 outside), with a reason; they verify as `revoked` from now on. A new card can be issued afterwards. Cards are also revoked on their own when the member's status leaves Active / Grace Period or the member is transferred. Audited as member.cards_revoked.",
  })
  revoke(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: RevokeCardDto,
  ): Promise<CardsRevokedDto> {
    return this.cards.revoke(actor, id, body.reason);
  }

  @Get('wards/:code/cards')
  @RequirePermission(Permission.CardsIssue)
  @ApiFileResponse([FileMediaType.Pdf], { description: "The ward's cards, 8 per A4 page" })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.SERVICE_UNAVAILABLE)
  @ApiOperation({
    summary: "Download a ward's membership cards",
    description:
      'A card for every Active or Grace Period member of a ward inside your area (404 outside or unknown), by surname, 8 per A4 page (2 × 4). Cards already issued and unchanged are printed again; the others are issued. Audited as cards.ward_printed.',
  })
  async wardCards(
    @CurrentUser() actor: AuthUser,
    @Param() params: WardCodeParamDto,
    @Res() res: Response,
  ): Promise<void> {
    await this.cards.wardCards(actor, params.code, (name) =>
      res.set({
        'Content-Type': 'application/pdf',
        'Content-Disposition': `attachment; filename="${name}.pdf"`,
        'Cache-Control': 'no-store',
      }),
    );
  }

  @Get('cards/keys')
  @Public()
  @ApiOkResponse({ type: CardJwksDto })
  @ApiOperation({
    summary: 'The public keys that verify membership cards (JWKS)',
    description:
      'Every key a card token may be signed with and that still verifies (the signing key, keys published ahead of a rotation, retired keys within their grace period), as a JSON Web Key Set (OKP / Ed25519, RFC 8037). Public and cacheable for 5 minutes: offline verifiers check the signature with it (the current state of the member needs GET /cards/verify).',
  })
  keys(@Res({ passthrough: true }) res: Response): CardJwksDto {
    res.set('Cache-Control', 'public, max-age=300');
    return { keys: this.keyring.jwks() };
  }

  @Get('cards/verify')
  @Public()
  @SkipThrottle()
  @UseGuards(CardVerifyThrottleGuard)
  @ApiOkResponse({ type: CardVerificationDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.TOO_MANY_REQUESTS)
  @ApiOperation({
    summary: 'Verify a membership card',
    description:
      "The token from a card's QR code, checked for signature (known key, not retired past its grace), the card record and the member's current state. Answers only the result and, for `valid` and `expired`, the member's initials, surname initial, the ward's name and the expiry printed on the card: never ID numbers, cell numbers or addresses. Anything that is not a genuine card (forged, tampered, truncated, signed by an unknown or retired key, alg none) is 200 `unknown`; a missing or oversized token is 400. Throttled per address by its own limit (CARD_VERIFY_THROTTLE_LIMIT a minute, the `card-verify` limit) instead of the default one, so scanning at an assembly and the address's other requests do not use up each other's limit. Every verification is audited without the verifier's address or identity.",
  })
  verify(
    @Query() query: VerifyCardQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CardVerificationDto> {
    res.set('Cache-Control', 'no-store');
    return this.cards.verify(query.token);
  }
}
