import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MembersModule } from '@app/members';
import { LEADERSHIP_ENTITIES } from './entities/index.js';
import { LeadershipController } from './leadership.controller.js';
import { LeadershipService } from './leadership.service.js';

@Module({
  imports: [TypeOrmModule.forFeature(LEADERSHIP_ENTITIES), MembersModule],
  controllers: [LeadershipController],
  providers: [LeadershipService],
  exports: [LeadershipService],
})
export class LeadershipModule {}
