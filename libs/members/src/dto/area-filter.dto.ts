import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, Matches } from 'class-validator';

const upper = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;

/** Area filters of the member, application and export lists; they only ever narrow the caller's scope. */
export class AreaFilterDto {
  @ApiPropertyOptional({ example: 'GP' })
  @IsOptional()
  @Transform(upper)
  @Matches(/^[A-Z]{2,3}$/, { message: 'provinceCode must be a province code such as GP' })
  provinceCode?: string;

  @ApiPropertyOptional({ example: 'JHB' })
  @IsOptional()
  @Transform(upper)
  @Matches(/^[A-Z0-9]{2,8}$/, { message: 'districtCode must be a district code such as DC42' })
  districtCode?: string;

  @ApiPropertyOptional({ example: 'GT421' })
  @IsOptional()
  @Transform(upper)
  @Matches(/^[A-Z0-9]{2,8}$/, {
    message: 'municipalityCode must be a municipality code such as GT421',
  })
  municipalityCode?: string;

  @ApiPropertyOptional({ example: '79800001' })
  @IsOptional()
  @Matches(/^\d{8}$/, { message: 'wardCode must be an 8-digit ward code' })
  wardCode?: string;
}
