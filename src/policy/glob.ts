// The allow-lists' pattern language: exact values, or `*` for any run of characters (none
// included). Matched without regular expressions, so that a tenant's long value against an
// admin's many-star pattern cannot backtrack exponentially: greedy two-pointer matching is
// O(pattern x value) at worst.

/** Whether `value` matches `pattern`, where `*` matches any run of characters, `/` and `:` included. */
export function globMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === value[v]) {
      p++;
      v++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = v;
    } else if (star >= 0) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
