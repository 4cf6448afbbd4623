/** The uploaded file cannot be read as a register; its message is shown to the uploader. */
export class UnreadableFileError extends Error {}
