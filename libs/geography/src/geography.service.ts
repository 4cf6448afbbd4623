import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { AppException, CacheService, escapeLike, ReadConnection } from '@app/core';
import {
  DistrictDto,
  GeographySearchResultDto,
  MunicipalityDto,
  ProvinceDetailDto,
  ProvinceDto,
  WardDetailDto,
  WardDto,
} from './dto/geography.dto.js';
import { District } from './entities/district.entity.js';
import { Municipality } from './entities/municipality.entity.js';
import { Province } from './entities/province.entity.js';
import { Ward } from './entities/ward.entity.js';
import { GeographyLevel } from './geography-codes.js';

/** The full chain of a ward, as other modules need it to denormalise and scope. */
export interface WardChain {
  wardCode: string;
  municipalityCode: string;
  districtCode: string;
  provinceCode: string;
}

/** Cache namespace of geography answers; invalidated when the reference data is (re)loaded. */
export const GEOGRAPHY_CACHE = 'geography';
const CACHE_TTL_MS = 60 * 60 * 1000;

@Injectable()
export class GeographyService implements OnApplicationBootstrap {
  constructor(
    private readonly cache: CacheService,
    @InjectRepository(Province) private readonly provinces: Repository<Province>,
    @InjectRepository(District) private readonly districts: Repository<District>,
    @InjectRepository(Municipality) private readonly municipalities: Repository<Municipality>,
    @InjectRepository(Ward) private readonly wards: Repository<Ward>,
    private readonly reads: ReadConnection,
  ) {}

  listProvinces(): Promise<ProvinceDto[]> {
    return this.cached('provinces', () => this.loadProvinces());
  }

  private loadProvinces(): Promise<ProvinceDto[]> {
    return this.provinces.find({ order: { code: 'ASC' } });
  }

  getProvince(code: string): Promise<ProvinceDetailDto> {
    return this.cached(`province:${code}`, () => this.loadProvince(code));
  }

  private async loadProvince(code: string): Promise<ProvinceDetailDto> {
    const province = await this.provinces.findOneBy({ code });
    if (!province) throw AppException.notFound(`Province ${code}`);
    const [districtCount, municipalityCount, wardCount] = await Promise.all([
      this.districts.countBy({ provinceCode: code }),
      this.municipalities.countBy({ provinceCode: code }),
      this.wards.countBy({ provinceCode: code }),
    ]);
    return {
      code: province.code,
      name: province.name,
      districtCount,
      municipalityCount,
      wardCount,
    };
  }

  listDistricts(provinceCode: string): Promise<DistrictDto[]> {
    return this.cached(`districts:${provinceCode}`, () => this.loadDistricts(provinceCode));
  }

  private async loadDistricts(provinceCode: string): Promise<DistrictDto[]> {
    if (!(await this.provinces.existsBy({ code: provinceCode })))
      throw AppException.notFound(`Province ${provinceCode}`);
    return this.districts.find({
      select: { code: true, name: true, type: true, provinceCode: true },
      where: { provinceCode },
      order: { name: 'ASC' },
    });
  }

  listMunicipalities(districtCode: string): Promise<MunicipalityDto[]> {
    return this.cached(`municipalities:${districtCode}`, () =>
      this.loadMunicipalities(districtCode),
    );
  }

  private async loadMunicipalities(districtCode: string): Promise<MunicipalityDto[]> {
    if (!(await this.districts.existsBy({ code: districtCode })))
      throw AppException.notFound(`District ${districtCode}`);
    return this.municipalities.find({
      select: {
        code: true,
        name: true,
        category: true,
        districtCode: true,
        provinceCode: true,
        wardCount: true,
      },
      where: { districtCode },
      order: { name: 'ASC' },
    });
  }

  listWards(municipalityCode: string): Promise<WardDto[]> {
    return this.cached(`wards:${municipalityCode}`, () => this.loadWards(municipalityCode));
  }

  private async loadWards(municipalityCode: string): Promise<WardDto[]> {
    if (!(await this.municipalities.existsBy({ code: municipalityCode })))
      throw AppException.notFound(`Municipality ${municipalityCode}`);
    return this.wards.find({ where: { municipalityCode }, order: { number: 'ASC' } });
  }

  getWard(code: string): Promise<WardDetailDto> {
    return this.cached(`ward:${code}`, () => this.loadWard(code));
  }

  private async loadWard(code: string): Promise<WardDetailDto> {
    const ward = await this.wards.findOne({
      where: { code },
      relations: { municipality: true, district: true, province: true },
    });
    if (!ward?.municipality || !ward.district || !ward.province)
      throw AppException.notFound(`Ward ${code}`);
    const { municipality, district, province, ...rest } = ward;
    return {
      ...rest,
      municipality: {
        code: municipality.code,
        name: municipality.name,
        category: municipality.category,
        districtCode: municipality.districtCode,
        provinceCode: municipality.provinceCode,
        wardCount: municipality.wardCount,
      },
      district: {
        code: district.code,
        name: district.name,
        type: district.type,
        provinceCode: district.provinceCode,
      },
      province: { code: province.code, name: province.name },
    };
  }

  /** Reference data changes only through the seed, which runs before the API starts: start with a clean slate. */
  async onApplicationBootstrap(): Promise<void> {
    await this.invalidateCache();
  }

  /** Drops every cached geography answer on every process; call after writing geography rows. */
  invalidateCache(): Promise<void> {
    return this.cache.invalidate(GEOGRAPHY_CACHE);
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    return this.cache.wrap(GEOGRAPHY_CACHE, key, CACHE_TTL_MS, load);
  }

  /** The ward's chain, or null when no such ward exists (cached; an unknown code is not). */
  findWardChain(code: string): Promise<WardChain | null> {
    return this.cached(`chain:ward:${code}`, async () => {
      const ward = await this.wards.findOne({
        select: { code: true, municipalityCode: true, districtCode: true, provinceCode: true },
        where: { code },
      });
      return ward
        ? {
            wardCode: ward.code,
            municipalityCode: ward.municipalityCode,
            districtCode: ward.districtCode,
            provinceCode: ward.provinceCode,
          }
        : null;
    });
  }

  /**
   * The chains of the given wards (unknown codes are left out), or of every ward when `codes` is absent: for
   * work over many wards at once (imports). Every ward is cached; a subset, or a read on `manager` (inside its
   * transaction), is read from the database.
   */
  async wardChains(codes?: readonly string[], manager?: EntityManager): Promise<WardChain[]> {
    if (!codes && !manager) return this.cached('chain:ward:*', () => this.loadWardChains());
    return this.loadWardChains(codes, manager);
  }

  private async loadWardChains(
    codes?: readonly string[],
    manager: EntityManager = this.wards.manager,
  ): Promise<WardChain[]> {
    const qb = manager
      .createQueryBuilder(Ward, 'w')
      .select('w.code', 'wardCode')
      .addSelect('w.municipality_code', 'municipalityCode')
      .addSelect('w.district_code', 'districtCode')
      .addSelect('w.province_code', 'provinceCode');
    if (codes) qb.where('w.code = ANY(:codes)', { codes: [...codes] });
    return qb.getRawMany<WardChain>();
  }

  /**
   * The chain of an area of any level (its own code and its parents'), or null when it does not exist (cached;
   * an unknown code is not).
   */
  areaChain(
    level: GeographyLevel,
    code: string,
  ): Promise<(Partial<WardChain> & { provinceCode: string }) | null> {
    if (level === GeographyLevel.Ward) return this.findWardChain(code);
    return this.cached(`chain:${level}:${code}`, () => this.loadAreaChain(level, code));
  }

  private async loadAreaChain(
    level: Exclude<GeographyLevel, GeographyLevel.Ward>,
    code: string,
  ): Promise<(Partial<WardChain> & { provinceCode: string }) | null> {
    switch (level) {
      case GeographyLevel.Province:
        return (await this.provinces.existsBy({ code })) ? { provinceCode: code } : null;
      case GeographyLevel.District: {
        const d = await this.districts.findOne({
          select: { code: true, provinceCode: true },
          where: { code },
        });
        return d ? { provinceCode: d.provinceCode, districtCode: d.code } : null;
      }
      case GeographyLevel.Municipality: {
        const m = await this.municipalities.findOne({
          select: { code: true, districtCode: true, provinceCode: true },
          where: { code },
        });
        return m
          ? { provinceCode: m.provinceCode, districtCode: m.districtCode, municipalityCode: m.code }
          : null;
      }
    }
  }

  /** Whether an area of the given level and code exists. */
  async areaExists(level: GeographyLevel, code: string): Promise<boolean> {
    switch (level) {
      case GeographyLevel.Province:
        return this.provinces.existsBy({ code });
      case GeographyLevel.District:
        return this.districts.existsBy({ code });
      case GeographyLevel.Municipality:
        return this.municipalities.existsBy({ code });
      case GeographyLevel.Ward:
        return this.wards.existsBy({ code });
    }
  }

  search(q: string, limit: number): Promise<GeographySearchResultDto[]> {
    return this.cached(`search:${limit}:${q.toLowerCase()}`, () => this.loadSearch(q, limit));
  }

  private async loadSearch(q: string, limit: number): Promise<GeographySearchResultDto[]> {
    const contains = `%${escapeLike(q)}%`;
    const prefix = `${escapeLike(q.toUpperCase())}%`;
    // The one uncached-shaped geography read (free text): on the read connection, like the other heavy reads.
    return this.reads.query<GeographySearchResultDto>(
      `SELECT level, code, name, province_code AS "provinceCode", district_code AS "districtCode",
              municipality_code AS "municipalityCode"
         FROM (
           SELECT 'province' AS level, 1 AS rank, code, name, code AS province_code,
                  NULL::varchar AS district_code, NULL::varchar AS municipality_code
             FROM provinces WHERE name ILIKE $1 OR code LIKE $2
           UNION ALL
           SELECT 'district', 2, code, name, province_code, code, NULL
             FROM districts WHERE name ILIKE $1 OR code LIKE $2
           UNION ALL
           SELECT 'municipality', 3, code, name, province_code, district_code, code
             FROM municipalities WHERE name ILIKE $1 OR code LIKE $2
           UNION ALL
           SELECT 'ward', 4, code, name || ', ' || municipality_code, province_code, district_code, municipality_code
             FROM wards WHERE code LIKE $2 OR upper(label) LIKE $2
         ) AS hits
        ORDER BY rank, (upper(code) = upper($3)) DESC, name
        LIMIT $4`,
      [contains, prefix, q, limit],
    );
  }
}
