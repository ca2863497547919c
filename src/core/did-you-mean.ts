/**
 * "Did you mean" suggestions for misspelt keys, names and commands. Edit distance over a handful of
 * short words is a few lines; a dependency would not earn its place here.
 */

/** Levenshtein distance between two strings (case-insensitive). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let previous = Array.from({ length: t.length + 1 }, (_, i) => i);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[t.length] ?? 0;
}

/**
 * The candidate closest to `word`, if it is close enough to be a plausible typo.
 * @example closestMatch('desription', ['description', 'owner']) // 'description'
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    // A word that starts with a candidate (`minimum` for `min`) is as good as a near miss.
    const prefix = candidate.length >= 3 && word.toLowerCase().startsWith(candidate.toLowerCase());
    const d = prefix ? 1 : editDistance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}
