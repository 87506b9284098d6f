// The passwords users gave the server by HTTP Basic (RPC over HTTP, Autodiscover), for imap.auth userPassword
// (docs/imap.md "The user's own password"): the front door remembers each user's password once the directory has
// accepted it, and the IMAP pool logs that user in with it. Kept in this process's memory only (never written, never
// logged), per lower-cased username, for imap.userPasswordSeconds after the user's last Basic sign-in; a later
// sign-in replaces it. Created only when store.backend is imap and imap.auth is userPassword.

export class UserPasswords {
  private readonly entries = new Map<string, { password: string; until: number }>();

  constructor(
    /** How long a password is kept after the last sign-in that gave it. */
    private readonly keepMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A password the directory has just accepted for `username`. */
  remember(username: string, password: string): void {
    const key = username.toLowerCase();
    // expired entries go when any sign-in happens: the map never outgrows the users signed in within keepMs
    const t = this.now();
    for (const [k, e] of this.entries) if (e.until <= t) this.entries.delete(k);
    this.entries.set(key, { password, until: t + this.keepMs });
  }

  /** The password `username` last signed in with, unless that was longer than keepMs ago. */
  get(username: string): string | undefined {
    const key = username.toLowerCase();
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.password;
  }

  /** Users with a password kept (expired ones may still count until the next remember or get of them). */
  get size(): number {
    return this.entries.size;
  }
}
