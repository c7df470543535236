/**
 * Rows as kubectl prints them: columns padded to their widest cell and three spaces apart, the
 * last column unpadded, trailing spaces trimmed. `indent` starts every line.
 */
export function alignColumns(rows: readonly (readonly string[])[], indent = ''): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map(
      (row) =>
        `${indent}${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('   ')}`,
    )
    .map((line) => line.trimEnd())
    .join('\n');
}
