import { describe, expect, it } from 'vitest';
import { CUISINES } from './cuisines.js';
import { type MemberPreferences, recommend } from './recommend.js';

const member = (
  memberId: string,
  likes: MemberPreferences['likes'],
  vetoes: MemberPreferences['vetoes'] = [],
): MemberPreferences => ({ memberId, likes, vetoes });

describe('recommend', () => {
  it('has no pick for a group without members', () => {
    const result = recommend([]);
    expect(result.cuisine).toBeNull();
    expect(result.reason).toBe('no-members');
  });

  it('picks the cuisine most members like', () => {
    const result = recommend([
      member('a', ['thai', 'italian']),
      member('b', ['italian']),
      member('c', ['japanese', 'italian']),
    ]);
    expect(result.cuisine).toBe('italian');
    expect(result.reason).toBe('best-score');
    expect(result.ranking[0]).toEqual({ cuisine: 'italian', score: 3, likedBy: 3 });
  });

  it('never picks a vetoed cuisine, even the most liked one', () => {
    const result = recommend([
      member('a', ['italian', 'thai']),
      member('b', ['italian', 'thai']),
      member('c', ['thai'], ['italian']),
    ]);
    expect(result.cuisine).toBe('thai');
    expect(result.vetoed).toEqual(['italian']);
    expect(result.ranking.map((r) => r.cuisine)).not.toContain('italian');
  });

  it('has no pick when every cuisine is vetoed', () => {
    const result = recommend([member('a', [], [...CUISINES])]);
    expect(result.cuisine).toBeNull();
    expect(result.reason).toBe('all-vetoed');
    expect(result.ranking).toEqual([]);
  });

  it('breaks ties in catalogue order, deterministically', () => {
    const members = [member('a', ['thai']), member('b', ['greek'])];
    expect(recommend(members).cuisine).toBe('greek');
    expect(recommend([...members].reverse()).cuisine).toBe('greek');
  });

  it('suggests the first allowed cuisine when nobody stated a like', () => {
    const result = recommend([member('a', [], ['american'])]);
    expect(result.cuisine).toBe('chinese');
    expect(result.reason).toBe('no-preferences');
  });

  it('v2 weighs first choices above later ones where v1 only counts likes', () => {
    const members = [
      member('a', ['korean', 'mexican']),
      member('b', ['korean', 'mexican']),
      member('c', ['vegan', 'thai', 'mexican']),
    ];
    // v1: mexican is liked by 3 members, korean by 2.
    expect(recommend(members, 'v1').cuisine).toBe('mexican');
    // v2: korean 3 + 3 = 6, mexican 2 + 2 + 1 = 5.
    const v2 = recommend(members, 'v2');
    expect(v2.algorithm).toBe('v2');
    expect(v2.ranking.slice(0, 2)).toEqual([
      { cuisine: 'korean', score: 6, likedBy: 2 },
      { cuisine: 'mexican', score: 5, likedBy: 3 },
    ]);
  });
});
