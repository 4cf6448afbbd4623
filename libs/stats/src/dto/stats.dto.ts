import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsISO8601, IsOptional, Matches } from 'class-validator';

export enum StatsLevel {
  Province = 'province',
  District = 'district',
  Municipality = 'municipality',
  Ward = 'ward',
}

export enum StandingLevel {
  National = 'national',
  Province = 'province',
  District = 'district',
  Municipality = 'municipality',
  Ward = 'ward',
}

export enum GrowthInterval {
  Month = 'month',
  Year = 'year',
}

const CODE = /^[A-Z0-9]{2,8}$/;

export class MembershipStatsQueryDto {
  @ApiProperty({
    enum: StatsLevel,
    enumName: 'StatsLevel',
    description: 'The level of the areas listed',
  })
  @IsEnum(StatsLevel)
  level!: StatsLevel;

  @ApiPropertyOptional({
    description: 'Only the children of this area (one level up: province for districts, …)',
    example: 'GP',
  })
  @IsOptional()
  @Matches(CODE, { message: 'parentCode must be an area code' })
  parentCode?: string;
}

export class StandingQueryDto {
  @ApiPropertyOptional({
    enum: StandingLevel,
    enumName: 'StandingLevel',
    default: StandingLevel.National,
  })
  @IsOptional()
  @IsEnum(StandingLevel)
  level: StandingLevel = StandingLevel.National;

  @ApiPropertyOptional({ description: 'The area (not for national)', example: 'GT421' })
  @IsOptional()
  @Matches(CODE, { message: 'code must be an area code' })
  code?: string;
}

export class GrowthQueryDto {
  @ApiProperty({ format: 'date', example: '2025-01-01' })
  @IsISO8601({ strict: true })
  from!: string;

  @ApiProperty({ format: 'date', example: '2025-12-31' })
  @IsISO8601({ strict: true })
  to!: string;

  @ApiPropertyOptional({
    enum: GrowthInterval,
    enumName: 'GrowthInterval',
    default: GrowthInterval.Month,
  })
  @IsOptional()
  @IsEnum(GrowthInterval)
  interval: GrowthInterval = GrowthInterval.Month;

  @ApiPropertyOptional({
    enum: StandingLevel,
    enumName: 'StandingLevel',
    default: StandingLevel.National,
  })
  @IsOptional()
  @IsEnum(StandingLevel)
  level: StandingLevel = StandingLevel.National;

  @ApiPropertyOptional({ example: 'GP' })
  @IsOptional()
  @Matches(CODE, { message: 'code must be an area code' })
  code?: string;
}

export class StatusCountsDto {
  @ApiProperty() pending!: number;
  @ApiProperty() active!: number;
  @ApiProperty() gracePeriod!: number;
  @ApiProperty() expired!: number;
  @ApiProperty() suspended!: number;
  @ApiProperty() cancelled!: number;
  @ApiProperty() deceased!: number;
}

export class GenderCountsDto {
  @ApiProperty() female!: number;
  @ApiProperty() male!: number;
}

export class AgeBandCountsDto {
  @ApiProperty() under18!: number;
  @ApiProperty() from18To24!: number;
  @ApiProperty() from25To34!: number;
  @ApiProperty() from35To44!: number;
  @ApiProperty() from45To54!: number;
  @ApiProperty() from55To64!: number;
  @ApiProperty() from65!: number;
}

export class AreaMembershipDto {
  @ApiProperty() code!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Members (anonymised ones excluded)' }) total!: number;
  @ApiProperty({ type: StatusCountsDto }) byStatus!: StatusCountsDto;
  @ApiProperty({ type: GenderCountsDto }) byGender!: GenderCountsDto;
  @ApiProperty({ type: AgeBandCountsDto }) byAgeBand!: AgeBandCountsDto;
  @ApiProperty() joinedLast30Days!: number;
  @ApiProperty() joinedLast365Days!: number;
}

export class MembershipStatsDto {
  @ApiProperty({ enum: StatsLevel, enumName: 'StatsLevel' }) level!: StatsLevel;
  @ApiProperty({ type: String, nullable: true }) parentCode!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) refreshedAt!: string | null;
  @ApiProperty({
    type: [AreaMembershipDto],
    description: 'One row per area, inside your scope only',
  })
  data!: AreaMembershipDto[];
}

export class MunicipalityStandingDto {
  @ApiProperty() code!: string;
  @ApiProperty() name!: string;
  @ApiProperty() wards!: number;
  @ApiProperty() wardsInGoodStanding!: number;
  @ApiProperty({ description: 'Percentage of wards in good standing (one decimal)' })
  percentage!: number;
  @ApiProperty() adequatelyRepresented!: boolean;
}

export class StandingThresholdsDto {
  @ApiProperty() goodStandingMinActive!: number;
  @ApiProperty() municipalityRepresentationPct!: number;
  @ApiProperty() assemblyWardPct!: number;
}

export class StandingDto {
  @ApiProperty({ enum: StandingLevel, enumName: 'StandingLevel' }) level!: StandingLevel;
  @ApiProperty({ type: String, nullable: true }) code!: string | null;
  @ApiProperty({ type: StandingThresholdsDto }) thresholds!: StandingThresholdsDto;
  @ApiProperty() wards!: number;
  @ApiProperty() wardsInGoodStanding!: number;
  @ApiProperty() percentage!: number;
  @ApiProperty({ description: 'At least ASSEMBLY_WARD_PCT of the wards are in good standing' })
  assemblyMaySit!: boolean;
  @ApiProperty() municipalitiesAdequatelyRepresented!: number;
  @ApiProperty({ type: [MunicipalityStandingDto] }) municipalities!: MunicipalityStandingDto[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) refreshedAt!: string | null;
}

export class GrowthPointDto {
  @ApiProperty({ example: '2025-01' }) period!: string;
  @ApiProperty({ description: 'Members who joined in the period' }) joined!: number;
  @ApiProperty({ description: 'Members who joined up to the end of the period' })
  cumulative!: number;
}

export class GrowthDto {
  @ApiProperty({ enum: GrowthInterval, enumName: 'GrowthInterval' }) interval!: GrowthInterval;
  @ApiProperty({ format: 'date' }) from!: string;
  @ApiProperty({ format: 'date' }) to!: string;
  @ApiProperty({ type: [GrowthPointDto] }) data!: GrowthPointDto[];
}
