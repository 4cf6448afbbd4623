import { Controller, Get, HttpStatus, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiTags, ApiOperation } from '@nestjs/swagger';
import { ApiProblems, Public } from '@app/core';
import {
  DistrictDto,
  GeographySearchQueryDto,
  GeographySearchResultDto,
  MunicipalityDto,
  ProvinceDetailDto,
  ProvinceDto,
  WardDetailDto,
  WardDto,
} from './dto/geography.dto.js';
import { GeographyCodePipe, GeographyLevel } from './geography-codes.js';
import { GeographyService } from './geography.service.js';

/** Public reference data for the application form: no personal data. */
@ApiTags('geography')
@Public()
@Controller('geography')
export class GeographyController {
  constructor(private readonly geography: GeographyService) {}

  @Get('provinces')
  @ApiOkResponse({ type: [ProvinceDto] })
  @ApiOperation({
    summary: 'List provinces',
    description: 'Public reference data: the nine provinces.',
  })
  listProvinces(): Promise<ProvinceDto[]> {
    return this.geography.listProvinces();
  }

  @Get('provinces/:code')
  @ApiParam({ name: 'code', example: 'GP' })
  @ApiOkResponse({ type: ProvinceDetailDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Get a province',
    description: 'Public reference data: one province with its district and ward counts.',
  })
  getProvince(
    @Param('code', new GeographyCodePipe(GeographyLevel.Province)) code: string,
  ): Promise<ProvinceDetailDto> {
    return this.geography.getProvince(code);
  }

  @Get('provinces/:code/districts')
  @ApiParam({ name: 'code', example: 'GP' })
  @ApiOkResponse({ type: [DistrictDto] })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'List districts of a province',
    description: 'Public reference data: the districts and metros of one province.',
  })
  listDistricts(
    @Param('code', new GeographyCodePipe(GeographyLevel.Province)) code: string,
  ): Promise<DistrictDto[]> {
    return this.geography.listDistricts(code);
  }

  @Get('districts/:code/municipalities')
  @ApiParam({ name: 'code', example: 'DC42' })
  @ApiOkResponse({ type: [MunicipalityDto] })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'List municipalities of a district',
    description:
      'Public reference data: the local and metropolitan municipalities of one district.',
  })
  listMunicipalities(
    @Param('code', new GeographyCodePipe(GeographyLevel.District)) code: string,
  ): Promise<MunicipalityDto[]> {
    return this.geography.listMunicipalities(code);
  }

  @Get('municipalities/:code/wards')
  @ApiParam({ name: 'code', example: 'GT421' })
  @ApiOkResponse({ type: [WardDto] })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'List wards of a municipality',
    description: 'Public reference data: the wards of one municipality.',
  })
  listWards(
    @Param('code', new GeographyCodePipe(GeographyLevel.Municipality)) code: string,
  ): Promise<WardDto[]> {
    return this.geography.listWards(code);
  }

  @Get('wards/:code')
  @ApiParam({ name: 'code', example: '79800001' })
  @ApiOkResponse({ type: WardDetailDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Get a ward',
    description: 'Public reference data: one ward with its municipality, district and province.',
  })
  getWard(
    @Param('code', new GeographyCodePipe(GeographyLevel.Ward)) code: string,
  ): Promise<WardDetailDto> {
    return this.geography.getWard(code);
  }

  @Get('search')
  @ApiOkResponse({ type: [GeographySearchResultDto] })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'Search areas by name or code',
    description:
      'Public reference data: provinces, districts, municipalities and wards whose name or code matches.',
  })
  search(@Query() query: GeographySearchQueryDto): Promise<GeographySearchResultDto[]> {
    return this.geography.search(query.q, query.limit);
  }
}
