export enum MeetingType {
  /** Branch General Assembly (ward) */
  Bga = 'bga',
  /** Branch People's Assembly (ward) */
  Bpa = 'bpa',
  /** A meeting of a command structure (CCT, War Council, PCT, RCT, SRCT, BCT) */
  Structure = 'structure',
}

export enum MeetingStatus {
  Scheduled = 'scheduled',
  Held = 'held',
  Cancelled = 'cancelled',
  Postponed = 'postponed',
}

export enum AssemblyType {
  /** Sub-Regional People's Assembly */
  Srpa = 'srpa',
  /** Provincial People's Assembly */
  Ppa = 'ppa',
  /** National People's Assembly */
  Npa = 'npa',
}

/** Delegates per ward when no limit is set for the ward or any area above it (the current system: 3 for SRPA). */
export const DEFAULT_DELEGATE_LIMITS: Record<AssemblyType, number> = {
  [AssemblyType.Srpa]: 3,
  [AssemblyType.Ppa]: 1,
  [AssemblyType.Npa]: 1,
};

/** Advisory-lock namespace of delegate selection (7202, 7215, 7301 are taken elsewhere). */
export const DELEGATE_LOCK_NAMESPACE = 7410;

export enum CriterionState {
  Passed = 'passed',
  Failed = 'failed',
  NotEvaluated = 'not_evaluated',
}
