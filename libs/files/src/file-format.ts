/** The spreadsheet formats members' files are read (imports) and written (exports, templates) in. */
export enum FileFormat {
  Csv = 'csv',
  Xlsx = 'xlsx',
}
