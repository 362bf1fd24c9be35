import { CUISINES, type Cuisine } from './cuisines.js';

/** One member's stated preferences; `likes` is ordered, most wanted first. */
export interface MemberPreferences {
  memberId: string;
  likes: readonly Cuisine[];
  vetoes: readonly Cuisine[];
}

/** `v1` counts likes; `v2` weighs likes by rank and favours options that leave nobody unhappy. */
export type Algorithm = 'v1' | 'v2';

export interface RankedCuisine {
  cuisine: Cuisine;
  score: number;
  /** Members who listed this cuisine among their likes. */
  likedBy: number;
}

export interface Recommendation {
  algorithm: Algorithm;
  /** The pick, or null when nobody is in the group or every cuisine is vetoed. */
  cuisine: Cuisine | null;
  reason: 'best-score' | 'no-members' | 'all-vetoed' | 'no-preferences';
  /** Every cuisine nobody vetoed, best first. */
  ranking: RankedCuisine[];
  vetoed: Cuisine[];
}

function scoreV1(cuisine: Cuisine, members: readonly MemberPreferences[]): number {
  return members.filter((m) => m.likes.includes(cuisine)).length;
}

/** Rank-weighted: a member's first like is worth 3, second 2, any later 1. */
function scoreV2(cuisine: Cuisine, members: readonly MemberPreferences[]): number {
  let score = 0;
  for (const member of members) {
    const rank = member.likes.indexOf(cuisine);
    if (rank >= 0) score += Math.max(3 - rank, 1);
  }
  return score;
}

/**
 * Recommends one cuisine for a group. Any veto removes a cuisine; the rest are ranked by score,
 * then by how many members like them, then in {@link CUISINES} order, so the result is deterministic.
 * Pure: the same members give the same answer.
 */
export function recommend(
  members: readonly MemberPreferences[],
  algorithm: Algorithm = 'v1',
): Recommendation {
  const vetoed = CUISINES.filter((c) => members.some((m) => m.vetoes.includes(c)));
  const score = algorithm === 'v2' ? scoreV2 : scoreV1;
  const ranking = CUISINES.filter((c) => !vetoed.includes(c))
    .map((cuisine, order) => ({
      cuisine,
      score: score(cuisine, members),
      likedBy: scoreV1(cuisine, members),
      order,
    }))
    .sort((a, b) => b.score - a.score || b.likedBy - a.likedBy || a.order - b.order)
    .map(({ cuisine, score, likedBy }) => ({ cuisine, score, likedBy }));

  if (members.length === 0) {
    return { algorithm, cuisine: null, reason: 'no-members', ranking, vetoed };
  }
  const best = ranking[0];
  if (!best) return { algorithm, cuisine: null, reason: 'all-vetoed', ranking, vetoed };
  if (best.score === 0) {
    // Nobody liked anything still allowed: suggest the first allowed cuisine, and say why.
    return { algorithm, cuisine: best.cuisine, reason: 'no-preferences', ranking, vetoed };
  }
  return { algorithm, cuisine: best.cuisine, reason: 'best-score', ranking, vetoed };
}
