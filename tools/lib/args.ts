// Command-line option values the subcommands share the checking of.

/** A checker for numeric options: the value, `def` when absent, or `bad`'s error naming the option and what it must be. */
export function numberOption(bad: (message: string) => Error) {
  return (name: string, v: string | undefined, def: number, ok: (n: number) => boolean, what: string): number => {
    if (v === undefined) return def;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) throw bad(`--${name} must be ${what}, got "${v}"`);
    return n;
  };
}
