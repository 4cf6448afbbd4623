import { Controller, Get, Header, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems, Public } from '@app/core';
import { UnsubscribeService } from './unsubscribe.service.js';

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const page = (title: string, body: string): string =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>\n`;

const HTML = { 'text/html': { schema: { type: 'string' } } };

/**
 * The link of campaign and reminder emails (List-Unsubscribe with List-Unsubscribe-Post: One-Click, RFC 8058).
 * Only POST unsubscribes: mail scanners and link previews fetch URLs with GET, so GET shows a page whose button
 * POSTs (RFC 8058: a GET must not unsubscribe).
 */
@ApiTags('messaging')
@Controller('messaging/unsubscribe')
export class UnsubscribeController {
  constructor(private readonly unsubscribes: UnsubscribeService) {}

  @Get()
  @Public()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Unsubscribe confirmation page (public)',
    description:
      'The page the opt-out link of a campaign or reminder email opens: one button that POSTs to the same URL. A GET never unsubscribes (RFC 8058: mail scanners follow links). A forged or altered token answers 400.',
  })
  @ApiQuery({ name: 'token', type: String, description: 'Signed per-message token from the email' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'HTML confirmation page', content: HTML })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async confirm(@Query('token') token: unknown): Promise<string> {
    await this.unsubscribes.memberOf(token);
    const action = `unsubscribe?token=${encodeURIComponent(String(token))}`;
    return page(
      'Stop campaign messages?',
      `<p>You will no longer receive campaign messages and renewal reminders by SMS or email. Messages you ask for (password resets, sign-in codes) still reach you.</p><form method="post" action="${escapeHtml(action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
    );
  }

  @Post()
  @Public()
  @HttpCode(HttpStatus.OK)
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'One-click unsubscribe (public, RFC 8058)',
    description:
      "Mail programs POST `List-Unsubscribe=One-Click` here (the List-Unsubscribe-Post header of campaign and reminder emails); the confirmation page's button does the same. Records the recipient's objection to being contacted (as an SMS STOP reply does: contactObjectedAt, member.objection_changed audit), so campaigns and reminders leave them out. Repeating it changes nothing. The signed token is the authorisation: a forged or altered token answers 400 and changes nothing.",
  })
  @ApiQuery({ name: 'token', type: String, description: 'Signed per-message token from the email' })
  @ApiBody({
    required: false,
    description: 'List-Unsubscribe=One-Click (not required: the token decides)',
    schema: {
      type: 'object',
      properties: { 'List-Unsubscribe': { type: 'string', enum: ['One-Click'] } },
    },
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'HTML confirmation', content: HTML })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async unsubscribe(@Query('token') token: unknown): Promise<string> {
    await this.unsubscribes.unsubscribe(token);
    return page(
      'You are unsubscribed',
      '<p>You will no longer receive campaign messages and renewal reminders.</p>',
    );
  }
}
