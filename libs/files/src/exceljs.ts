import type ExcelJS from 'exceljs';

/** exceljs (~7 MB of heap and more RSS) loads with the first spreadsheet, not with every process at start-up. */
export async function loadExcelJS(): Promise<typeof ExcelJS> {
  return (await import('exceljs')).default;
}
