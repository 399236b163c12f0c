/**
 * Corpus BLEU (Papineni et al. 2002, "BLEU: a Method for Automatic Evaluation
 * of Machine Translation"), one reference per hypothesis, on whitespace tokens:
 *
 *   p_n  = Σ_sent Σ_ngram min(count_hyp, count_ref) / Σ_sent (#hyp n-grams)   (§2.1.1, eq. "modified n-gram precision")
 *   BP   = 1 if c > r else exp(1 − r/c)                                       (§2.2.2; c, r = total hyp / ref length)
 *   BLEU = BP · exp(Σ_{n=1..N} (1/N) · log p_n)                               (§2.3, uniform weights, N = 4)
 *
 * No smoothing: any p_n = 0 (or no hypothesis n-grams at all) gives BLEU 0.
 */

export interface BleuScore {
  /** BLEU in [0, 1]. */
  bleu: number;
  /** Modified precisions p_1..p_N. */
  precisions: number[];
  brevityPenalty: number;
  /** Total hypothesis tokens c. */
  hypothesisLength: number;
  /** Total reference tokens r. */
  referenceLength: number;
}

/** Whitespace tokens of a string. */
export function whitespaceTokens(s: string): string[] {
  return s.split(/\s+/).filter((t) => t.length > 0);
}

/** Counts of the n-grams of `tokens` (joined by a separator that whitespace tokens cannot contain). */
function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const g = tokens.slice(i, i + n).join('\u0000');
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  return counts;
}

/** Corpus BLEU-N of `hypotheses` against `references` (aligned; one reference each). */
export function corpusBleu(hypotheses: readonly string[], references: readonly string[], maxN = 4): BleuScore {
  if (hypotheses.length !== references.length) throw new Error(`corpusBleu: ${hypotheses.length} hypotheses but ${references.length} references`);
  const matches = new Array<number>(maxN).fill(0);
  const totals = new Array<number>(maxN).fill(0);
  let c = 0;
  let r = 0;
  hypotheses.forEach((h, s) => {
    const hyp = whitespaceTokens(h);
    const ref = whitespaceTokens(references[s]!);
    c += hyp.length;
    r += ref.length;
    for (let n = 1; n <= maxN; n++) {
      const refCounts = ngramCounts(ref, n);
      for (const [g, k] of ngramCounts(hyp, n)) matches[n - 1]! += Math.min(k, refCounts.get(g) ?? 0); // clipped counts
      totals[n - 1]! += Math.max(0, hyp.length - n + 1);
    }
  });
  const precisions = matches.map((m, i) => (totals[i]! > 0 ? m / totals[i]! : 0));
  const brevityPenalty = c === 0 ? 0 : c > r ? 1 : Math.exp(1 - r / c);
  const logMean = precisions.some((p) => p === 0) ? -Infinity : precisions.reduce((s, p) => s + Math.log(p), 0) / maxN;
  return { bleu: brevityPenalty * Math.exp(logMean), precisions, brevityPenalty, hypothesisLength: c, referenceLength: r };
}
