import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { checkIdNumber, normaliseCellNumber } from './identity.js';

/** A valid South African ID number (length, date, citizenship digit, Luhn), with the precise reason if not. */
export function IsSouthAfricanIdNumber(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isSouthAfricanIdNumber',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && checkIdNumber(value).valid,
        defaultMessage: (args?: ValidationArguments) => {
          const value: unknown = args?.value;
          if (typeof value !== 'string') return 'idNumber must be a string of 13 digits';
          const check = checkIdNumber(value);
          return check.valid ? '' : check.reason;
        },
      },
    });
}

/** A South African phone number that normalises to E.164 (+27 and nine digits). */
export function IsSouthAfricanCellNumber(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isSouthAfricanCellNumber',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && normaliseCellNumber(value) !== null,
        defaultMessage: () =>
          'cellNumber must be a South African number such as 0821234567 or +27821234567',
      },
    });
}
