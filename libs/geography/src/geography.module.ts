import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GEOGRAPHY_ENTITIES } from './entities/index.js';
import { GeographyController } from './geography.controller.js';
import { GeographyService } from './geography.service.js';

@Module({
  imports: [TypeOrmModule.forFeature(GEOGRAPHY_ENTITIES)],
  controllers: [GeographyController],
  providers: [GeographyService],
  exports: [GeographyService],
})
export class GeographyModule {}
