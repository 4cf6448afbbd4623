import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UserAccounts } from '@app/auth';
import { GeographyModule } from '@app/geography';
import { User } from './user.entity.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

/** Global so that authentication finds its UserAccounts port without importing this module. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([User]), GeographyModule],
  controllers: [UsersController],
  providers: [UsersService, { provide: UserAccounts, useExisting: UsersService }],
  exports: [UsersService, UserAccounts],
})
export class UsersModule {}
