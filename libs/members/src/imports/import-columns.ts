/** The fields an import row may carry: exactly CreateMemberDto's properties. */
export type ImportField =
  | 'idNumber'
  | 'firstNames'
  | 'surname'
  | 'cellNumber'
  | 'email'
  | 'residentialAddress'
  | 'wardCode'
  | 'joinedOn'
  | 'lastPaidOn'
  | 'consentGiven';

export const REQUIRED_FIELDS: readonly ImportField[] = [
  'idNumber',
  'firstNames',
  'surname',
  'wardCode',
];

/** The template's headers, in order, with an example row (docs/modules.md "Member import and export"). */
export const TEMPLATE_COLUMNS: readonly { field: ImportField; header: string; example: string }[] =
  [
    { field: 'idNumber', header: 'ID Number', example: '8001015009087' },
    { field: 'firstNames', header: 'First Names', example: 'Thandiwe Naledi' },
    { field: 'surname', header: 'Surname', example: 'Mokoena' },
    { field: 'cellNumber', header: 'Cell Number', example: '0821234567' },
    { field: 'email', header: 'Email', example: 'thandi@example.org' },
    {
      field: 'residentialAddress',
      header: 'Residential Address',
      example: '12 Vilakazi Street, Soweto',
    },
    { field: 'wardCode', header: 'Ward Code', example: '79800001' },
    { field: 'joinedOn', header: 'Joined On', example: '2024-03-01' },
    { field: 'lastPaidOn', header: 'Last Paid On', example: '2024-03-01' },
    { field: 'consentGiven', header: 'Consent Given', example: 'yes' },
  ];

/** Header spellings seen in branch registers, after normalising (lower case, letters and digits only). */
const SYNONYMS: Record<ImportField, readonly string[]> = {
  idNumber: [
    'idnumber',
    'idno',
    'id',
    'said',
    'saidnumber',
    'saidno',
    'rsaid',
    'rsaidnumber',
    'identitynumber',
    'identityno',
    'idnr',
  ],
  firstNames: [
    'firstnames',
    'firstname',
    'name',
    'names',
    'forenames',
    'forename',
    'givennames',
    'givenname',
  ],
  surname: ['surname', 'lastname', 'familyname'],
  cellNumber: [
    'cellnumber',
    'cell',
    'cellphone',
    'cellphonenumber',
    'cellno',
    'mobile',
    'mobilenumber',
    'mobileno',
    'phone',
    'phonenumber',
    'contactnumber',
    'telephone',
  ],
  email: ['email', 'emailaddress'],
  residentialAddress: [
    'residentialaddress',
    'address',
    'physicaladdress',
    'homeaddress',
    'streetaddress',
  ],
  wardCode: ['wardcode', 'ward', 'wardid', 'wardno'],
  joinedOn: [
    'joinedon',
    'joined',
    'datejoined',
    'joindate',
    'joiningdate',
    'dateofjoining',
    'membershipdate',
  ],
  lastPaidOn: [
    'lastpaidon',
    'lastpaid',
    'lastpayment',
    'lastpaymentdate',
    'datepaid',
    'paymentdate',
    'paidon',
  ],
  consentGiven: ['consentgiven', 'consent', 'popiaconsent'],
};

const LOOKUP = new Map<string, ImportField>(
  (Object.entries(SYNONYMS) as [ImportField, readonly string[]][]).flatMap(([field, names]) =>
    names.map((name) => [name, field] as const),
  ),
);

export function normaliseHeader(header: string): string {
  return header
    .toLowerCase()
    .replace(/\(s\)/g, 's')
    .replace(/[^a-z0-9]/g, '');
}

export interface HeaderMapping {
  /** column index -> field */
  columns: Map<number, ImportField>;
  ignored: string[];
  missing: ImportField[];
  repeated: ImportField[];
}

/** Matches a header row to fields: case, spaces, underscores and common synonyms do not matter. */
export function mapHeaders(headers: readonly string[]): HeaderMapping {
  const columns = new Map<number, ImportField>();
  const seen = new Set<ImportField>();
  const ignored: string[] = [];
  const repeated: ImportField[] = [];
  headers.forEach((header, index) => {
    const field = LOOKUP.get(normaliseHeader(header));
    if (!field) {
      if (header.trim()) ignored.push(header.trim().slice(0, 60));
      return;
    }
    if (seen.has(field)) {
      repeated.push(field);
      return;
    }
    seen.add(field);
    columns.set(index, field);
  });
  return { columns, ignored, missing: REQUIRED_FIELDS.filter((f) => !seen.has(f)), repeated };
}
