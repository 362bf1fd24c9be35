import { describe, expect, it } from 'vitest';
import { ConditionRuntimeError, evaluateCondition, parseCondition } from './condition.ts';
import { CanaryDrillError } from './errors.ts';

const evaluate = (source: string, result: number | number[]) =>
  evaluateCondition(parseCondition(source), result);

describe('parseCondition / evaluateCondition (Argo expr subset)', () => {
  it('compares result[0] with a number', () => {
    expect(evaluate('result[0] <= 6', [0.4])).toBe(true);
    expect(evaluate('result[0] <= 6', [6])).toBe(true);
    expect(evaluate('result[0] > 6', [6.01])).toBe(true);
    expect(evaluate('result[0] <= 1e-3', [0.002])).toBe(false);
    expect(evaluate('result == 3', 3)).toBe(true);
  });

  it('makes every comparison with NaN false, as Go does', () => {
    for (const op of ['<', '<=', '>', '>=', '==']) {
      expect(evaluate(`result[0] ${op} 1`, [Number.NaN]), op).toBe(false);
    }
    expect(evaluate('result[0] != 1', [Number.NaN])).toBe(true);
    expect(evaluate('isNaN(result[0])', [Number.NaN])).toBe(true);
    expect(evaluate('isInf(result[0])', [Number.POSITIVE_INFINITY])).toBe(true);
    expect(evaluate('isInf(result[0])', [Number.NaN])).toBe(false);
  });

  it('fails at run time on result[0] of an empty result (Argo: measurement Error)', () => {
    expect(() => evaluate('result[0] <= 6', [])).toThrow(ConditionRuntimeError);
    expect(() => evaluate('result[0] <= 6', [])).toThrow(/index out of range: 0/);
  });

  it('short-circuits || and && so a guard protects the index', () => {
    expect(evaluate('len(result) == 0 || result[0] <= 0.3', [])).toBe(true);
    expect(evaluate('len(result) > 0 && result[0] <= 0.3', [])).toBe(false);
    expect(evaluate('len(result) > 0 and not isNaN(result[0])', [1])).toBe(true);
    expect(evaluate('result[0] > 1 or result[1] > 1', [0, 2])).toBe(true);
  });

  it('does arithmetic with precedence', () => {
    expect(evaluate('result[0] / result[1] <= 14.4 * 0.001', [1, 1000])).toBe(true);
    expect(evaluate('-result[0] < 0', [2])).toBe(true);
  });

  it('fails at run time on type mismatches and on a non-bool outcome', () => {
    expect(() => evaluate('result[0]', [1])).toThrow(/expected bool/);
    expect(() => evaluate('result[0] && true', [1])).toThrow(ConditionRuntimeError);
    expect(() => evaluate('result < 1', [1])).toThrow(ConditionRuntimeError);
  });

  it('refuses syntax it does not implement, loudly and at parse time', () => {
    for (const source of [
      'all(result, {# < 0.3})',
      'result[0] in [1, 2]',
      'asInt(result[0]) > 1',
      'result.value > 1',
      'foo > 1',
      'result[0] > 1 ? true : false',
      'result[0] ** 2 > 1',
      'result[0] <=',
    ]) {
      let error: unknown;
      try {
        parseCondition(source);
      } catch (err) {
        error = err;
      }
      expect(error, source).toBeInstanceOf(CanaryDrillError);
      expect((error as CanaryDrillError).code, source).toBe('CONDITION_UNSUPPORTED');
    }
  });
});
