// Node's fs, plus `globSync` where Node lacks it (before 22).
import fs from 'node:fs';

export * from 'node:fs';
export default fs;
export const globSync =
  fs.globSync ??
  (() => {
    throw new Error('fs.globSync needs Node 22 or later (only the tier-check command uses it)');
  });
