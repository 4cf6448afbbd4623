/** Machine-readable error codes carried in every problem-details body (`code`). */
export enum ErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  MalformedJson = 'MALFORMED_JSON',
  InvalidCursor = 'INVALID_CURSOR',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  /** An uploaded XLSX unpacks to more than IMPORT_MAX_UNCOMPRESSED_BYTES (413). */
  UncompressedTooLarge = 'UNCOMPRESSED_TOO_LARGE',
  /** An uploaded XLSX part is compressed beyond IMPORT_MAX_COMPRESSION_RATIO: a zip bomb (422). */
  CompressionRatioTooHigh = 'COMPRESSION_RATIO_TOO_HIGH',
  /** An uploaded document's bytes are one allowed type but its declared type or file extension says another (422). */
  DocumentTypeMismatch = 'DOCUMENT_TYPE_MISMATCH',
  RouteNotFound = 'ROUTE_NOT_FOUND',
  NotFound = 'NOT_FOUND',
  Unauthenticated = 'UNAUTHENTICATED',
  InvalidCredentials = 'INVALID_CREDENTIALS',
  Forbidden = 'FORBIDDEN',
  /** Signed in with a password an administrator reset: only POST /auth/change-password (and logout) answer. */
  PasswordChangeRequired = 'PASSWORD_CHANGE_REQUIRED',
  Conflict = 'CONFLICT',
  VersionConflict = 'VERSION_CONFLICT',
  /** The ID number is already a member inside the caller's area (the answer names the membership number). */
  DuplicateIdNumber = 'DUPLICATE_ID_NUMBER',
  /**
   * The person cannot be registered in the caller's area for a reason the caller may not see (e.g. a member
   * elsewhere); a registration conflict is recorded for the national office.
   */
  CannotRegisterHere = 'CANNOT_REGISTER_HERE',
  /** More than REGISTRATION_CONFLICT_LIMIT registration conflicts by this user in 24 hours. */
  RegistrationConflictLimit = 'REGISTRATION_CONFLICT_LIMIT',
  InvalidStatusTransition = 'INVALID_STATUS_TRANSITION',
  /** A single-holder position (or every seat of one) is already held for those dates. */
  SeatTaken = 'SEAT_TAKEN',
  /** The member already holds a position in that structure for those dates. */
  AlreadyInStructure = 'ALREADY_IN_STRUCTURE',
  /** The member may not hold the position (not Active, or outside the structure's area). */
  MemberIneligible = 'MEMBER_INELIGIBLE',
  /** Erasure: only a Cancelled or Deceased member may be erased. */
  MemberNotErasable = 'MEMBER_NOT_ERASABLE',
  /** Erasure: MEMBER_RETENTION_DAYS have not passed since the member became Cancelled or Deceased. */
  RetentionNotElapsed = 'RETENTION_NOT_ELAPSED',
  /** The member's personal data was already erased. */
  MemberErased = 'MEMBER_ERASED',
  /** A password-reset token that is unknown, used, expired, replaced by a newer one or outdated by a password change. */
  PasswordResetTokenInvalid = 'PASSWORD_RESET_TOKEN_INVALID',
  /**
   * An admin past MFA_ENROLMENT_GRACE_DAYS without TOTP signs in (403; the problem carries an enrolment-only
   * token), or an enrolment-only token calls any route but MFA enrolment.
   */
  MfaEnrolmentRequired = 'MFA_ENROLMENT_REQUIRED',
  /** A sign-in challenge token that is unknown, expired or already used (401). */
  MfaChallengeInvalid = 'MFA_CHALLENGE_INVALID',
  /** A TOTP or recovery code that is wrong, or the account is locked by too many wrong ones (401). */
  MfaCodeInvalid = 'MFA_CODE_INVALID',
  /** A TOTP code that was already accepted once (its time step is used up) (401). */
  MfaCodeReused = 'MFA_CODE_REUSED',
  /** TOTP is already active on the account: start a new enrolment only after a reset (409). */
  MfaAlreadyEnabled = 'MFA_ALREADY_ENABLED',
  /** Confirming an enrolment that was never started (409). */
  MfaEnrolmentNotStarted = 'MFA_ENROLMENT_NOT_STARTED',
  /** A verified meeting is locked: nothing about it may change (409). */
  MeetingLocked = 'MEETING_LOCKED',
  /** Attendance refused: the answer lists each rejected membership number with its reason (422). */
  AttendanceRejected = 'ATTENDANCE_REJECTED',
  /** The meeting cannot serve (not held, not verified, not quorate, not a BGA of that ward) (422). */
  MeetingNotEligible = 'MEETING_NOT_ELIGIBLE',
  /** The ward already has as many delegates for that assembly as its limit allows (409). */
  DelegateLimitReached = 'DELEGATE_LIMIT_REACHED',
  /** A ward whose criteria do not all pass is approved only as a documented exception (422). */
  WardNotCompliant = 'WARD_NOT_COMPLIANT',
  /** Two-tier approval: final approval of an application that has not passed its financial review (409). */
  FinancialReviewRequired = 'FINANCIAL_REVIEW_REQUIRED',
  /** Two-tier approval: a financial review of an application without a verified joining-fee payment (422). */
  JoiningFeeNotVerified = 'JOINING_FEE_NOT_VERIFIED',
  RateLimited = 'RATE_LIMITED',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  InternalError = 'INTERNAL_ERROR',
}

export const ERROR_TITLES: Record<ErrorCode, string> = {
  [ErrorCode.ValidationFailed]: 'The request is not valid',
  [ErrorCode.MalformedJson]: 'The request body is not valid JSON',
  [ErrorCode.InvalidCursor]: 'The pagination cursor is not valid',
  [ErrorCode.PayloadTooLarge]: 'The request body is too large',
  [ErrorCode.UnsupportedMediaType]: 'The request body has an unsupported media type',
  [ErrorCode.UncompressedTooLarge]: 'The uploaded archive unpacks to too much data',
  [ErrorCode.CompressionRatioTooHigh]: 'The uploaded archive is compressed suspiciously far',
  [ErrorCode.DocumentTypeMismatch]: 'The file is not what its name or type says',
  [ErrorCode.RouteNotFound]: 'No such route',
  [ErrorCode.NotFound]: 'Not found',
  [ErrorCode.Unauthenticated]: 'Authentication is required',
  [ErrorCode.InvalidCredentials]: 'Invalid credentials',
  [ErrorCode.Forbidden]: 'Not allowed',
  [ErrorCode.PasswordChangeRequired]: 'Change your password first',
  [ErrorCode.Conflict]: 'Conflict',
  [ErrorCode.VersionConflict]: 'The resource was changed by someone else',
  [ErrorCode.DuplicateIdNumber]: 'A member with this ID number already exists',
  [ErrorCode.CannotRegisterHere]: 'This person cannot be registered here',
  [ErrorCode.RegistrationConflictLimit]: 'Too many registrations that need the national office',
  [ErrorCode.InvalidStatusTransition]: 'The status does not allow this action',
  [ErrorCode.SeatTaken]: 'The position is already held',
  [ErrorCode.AlreadyInStructure]: 'The member already holds a position in this structure',
  [ErrorCode.MemberIneligible]: 'The member may not hold this position',
  [ErrorCode.MemberNotErasable]: 'Only a cancelled or deceased member may be erased',
  [ErrorCode.RetentionNotElapsed]: 'The retention period has not passed yet',
  [ErrorCode.MemberErased]: "The member's personal data was erased",
  [ErrorCode.PasswordResetTokenInvalid]: 'The password-reset link is not valid',
  [ErrorCode.MfaEnrolmentRequired]: 'Set up two-factor authentication first',
  [ErrorCode.MfaChallengeInvalid]: 'The sign-in challenge is not valid',
  [ErrorCode.MfaCodeInvalid]: 'The authentication code is not valid',
  [ErrorCode.MfaCodeReused]: 'The authentication code was already used',
  [ErrorCode.MfaAlreadyEnabled]: 'Two-factor authentication is already active',
  [ErrorCode.MfaEnrolmentNotStarted]: 'No two-factor enrolment is in progress',
  [ErrorCode.MeetingLocked]: 'The meeting is verified and locked',
  [ErrorCode.AttendanceRejected]: 'Some attendees were rejected',
  [ErrorCode.MeetingNotEligible]: 'The meeting does not qualify',
  [ErrorCode.DelegateLimitReached]: 'The delegate limit is reached',
  [ErrorCode.WardNotCompliant]: 'The ward does not meet every criterion',
  [ErrorCode.FinancialReviewRequired]: 'The application has not passed its financial review',
  [ErrorCode.JoiningFeeNotVerified]: 'The joining fee of the application is not verified',
  [ErrorCode.RateLimited]: 'Too many requests',
  [ErrorCode.ServiceUnavailable]: 'Service temporarily unavailable',
  [ErrorCode.InternalError]: 'Internal server error',
};
