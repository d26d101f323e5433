// Where the engine registers values that must never be printed. report/'s Redactor is one;
// the engine only needs this much of it, so it does not import report/.
export interface SecretRegistry {
  /** From now on, this value is masked in every event, diff and message. */
  add(secret: string): void;
  /** Would this text show a registered secret? (Before anything is kept, e.g. in a cache.) */
  containsSecret(text: string): boolean;
}
