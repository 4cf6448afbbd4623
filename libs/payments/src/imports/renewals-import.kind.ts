import { Injectable, OnModuleInit } from '@nestjs/common';
import { todayInSouthAfrica } from '@app/core';
import { compiledModule, ImportKindRegistry } from '@app/files';
import { MAX_PAYMENT_CENTS } from '../dto/payment.dto.js';
import {
  mapRenewalHeaders,
  RENEWAL_REPORT_COLUMNS,
  RenewalsImportContext,
} from './renewals-import.worker.js';

/** The row kind of bulk renewal files (POST /payments/imports). */
export const RENEWALS_IMPORT_KIND = 'renewals';

/**
 * Registers bulk renewals as the import engine's `renewals` row kind: rows run on the worker thread in
 * renewals-import.worker.ts; here, the context each job starts with (today, the amount cap, the declared ward).
 */
@Injectable()
export class RenewalsImportKind implements OnModuleInit {
  constructor(private readonly kinds: ImportKindRegistry) {}

  onModuleInit(): void {
    this.kinds.register<RenewalsImportContext>({
      kind: RENEWALS_IMPORT_KIND,
      workerModule: compiledModule(import.meta.dirname, 'renewals-import.worker.js'),
      mapHeaders: mapRenewalHeaders,
      templateHint: 'GET /api/v1/payments/imports/template',
      reportColumns: RENEWAL_REPORT_COLUMNS,
      audit: { entityType: 'renewals_import', actionPrefix: 'renewals.import' },
      context: async (job) => ({
        today: todayInSouthAfrica(),
        maxAmountCents: MAX_PAYMENT_CENTS,
        wardCode: typeof job.parameters.wardCode === 'string' ? job.parameters.wardCode : '',
      }),
    });
  }
}
