import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { Type } from 'class-transformer';
import { DistrictType } from '../entities/district.entity.js';
import { MunicipalityCategory } from '../entities/municipality.entity.js';
import { GeographyLevel } from '../geography-codes.js';

export class ProvinceDto {
  @ApiProperty({ example: 'GP' })
  code!: string;

  @ApiProperty({ example: 'Gauteng' })
  name!: string;
}

export class ProvinceDetailDto extends ProvinceDto {
  @ApiProperty({ example: 5 })
  districtCount!: number;

  @ApiProperty({ example: 9 })
  municipalityCount!: number;

  @ApiProperty({ example: 529 })
  wardCount!: number;
}

export class DistrictDto {
  @ApiProperty({ example: 'JHB' })
  code!: string;

  @ApiProperty({ example: 'City of Johannesburg' })
  name!: string;

  @ApiProperty({ enum: DistrictType, enumName: 'DistrictType' })
  type!: DistrictType;

  @ApiProperty({ example: 'GP' })
  provinceCode!: string;
}

export class MunicipalityDto {
  @ApiProperty({ example: 'GT421' })
  code!: string;

  @ApiProperty({ example: 'Emfuleni Local Municipality' })
  name!: string;

  @ApiProperty({
    enum: MunicipalityCategory,
    enumName: 'MunicipalityCategory',
    description: 'A = metro, B = local',
  })
  category!: MunicipalityCategory;

  @ApiProperty({ example: 'DC42' })
  districtCode!: string;

  @ApiProperty({ example: 'GP' })
  provinceCode!: string;

  @ApiProperty({ example: 45 })
  wardCount!: number;
}

export class WardDto {
  @ApiProperty({ example: '79800001' })
  code!: string;

  @ApiProperty({ example: 1 })
  number!: number;

  @ApiProperty({ example: 'JHB_1' })
  label!: string;

  @ApiProperty({ example: 'Ward 1' })
  name!: string;

  @ApiProperty({ example: 'JHB' })
  municipalityCode!: string;

  @ApiProperty({ example: 'JHB' })
  districtCode!: string;

  @ApiProperty({ example: 'GP' })
  provinceCode!: string;
}

/** A ward with its full chain up to the province. */
export class WardDetailDto extends WardDto {
  @ApiProperty({ type: MunicipalityDto })
  municipality!: MunicipalityDto;

  @ApiProperty({ type: DistrictDto })
  district!: DistrictDto;

  @ApiProperty({ type: ProvinceDto })
  province!: ProvinceDto;
}

export class GeographySearchQueryDto {
  @ApiProperty({
    minLength: 2,
    maxLength: 100,
    description: 'Name or code, any level',
    example: 'Matzikama',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(2)
  @MaxLength(100)
  q!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 50, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  limit: number = 20;
}

export class GeographySearchResultDto {
  @ApiProperty({ enum: GeographyLevel, enumName: 'GeographyLevel' })
  level!: GeographyLevel;

  @ApiProperty({ example: 'WC011' })
  code!: string;

  @ApiProperty({ example: 'Matzikama Local Municipality' })
  name!: string;

  @ApiProperty({ example: 'WC' })
  provinceCode!: string;

  @ApiProperty({ nullable: true, type: String, example: 'DC1' })
  districtCode!: string | null;

  @ApiProperty({ nullable: true, type: String, example: null })
  municipalityCode!: string | null;
}
