import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, CoreModule } from '@app/core';
import { AuthModule } from '@app/auth';
import { GeographyModule } from '@app/geography';
import { MemberExportModule, MemberImportsModule, MembersModule } from '@app/members';
import { LeadershipModule } from '@app/leadership';
import { AttendanceImportsModule, BranchesModule } from '@app/branches';
import { RealtimeModule } from '@app/realtime';
import { PrivacyModule } from '@app/privacy';
import { StatsModule } from '@app/stats';
import { UsersModule } from '@app/users';
import { MessagingModule } from '@app/messaging';
import { AccountRecoveryModule } from '@app/account-recovery';
import { PaymentsModule } from '@app/payments';
import { PortalModule } from '@app/portal';
import { CardsModule } from '@app/cards';
import { dataSourceOptions } from './data-source.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot({ config, dataSource: dataSourceOptions(config, databaseUrl) }),
        GeographyModule,
        AuthModule,
        UsersModule,
        // Before MembersModule: its members/:id routes must not shadow members/imports and members/export.
        MemberImportsModule,
        MemberExportModule,
        StatsModule,
        MembersModule,
        LeadershipModule,
        BranchesModule,
        AttendanceImportsModule,
        RealtimeModule,
        PrivacyModule,
        MessagingModule,
        AccountRecoveryModule,
        PaymentsModule,
        PortalModule,
        CardsModule,
      ],
    };
  }
}
