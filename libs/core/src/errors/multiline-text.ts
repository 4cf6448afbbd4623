import { ValidateBy } from 'class-validator';

/** The class-validator constraint name that marks a free-text field (see control-characters.ts). */
export const MULTILINE_TEXT = 'allowsMultilineText';

/**
 * The one exception to the control-character rule: the field is free text that may hold tabs and line breaks.
 * Stored as class-validator metadata, so PartialType/PickType copies of the DTO keep it.
 */
export function AllowsMultilineText(): PropertyDecorator {
  return ValidateBy({ name: MULTILINE_TEXT, validator: { validate: () => true } });
}
