import jsep, { type Expression } from 'jsep';
import { CanaryDrillError } from './errors.ts';

/**
 * What Argo Rollouts binds `result` to: a Prometheus vector becomes a list of its sample values
 * (possibly empty), a scalar a number.
 */
export type MetricResult = number | number[];

/** A parsed `successCondition` / `failureCondition`; evaluate it with {@link evaluateCondition}. */
export interface Condition {
  readonly source: string;
  readonly ast: Expression;
}

/**
 * Thrown while evaluating, as `expr` fails at run time (`result[0]` of an empty result, a type
 * mismatch). Argo turns it into a measurement in phase Error.
 */
export class ConditionRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

let configured = false;
/** jsep's operator table is global: add `expr`'s word operators once, on first use. */
function parser(): typeof jsep {
  if (!configured) {
    jsep.addBinaryOp('or', 1);
    jsep.addBinaryOp('and', 2);
    jsep.addUnaryOp('not');
    configured = true;
  }
  return jsep;
}

const BINARY = new Set([
  '||',
  'or',
  '&&',
  'and',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '*',
  '/',
]);
const UNARY = new Set(['!', 'not', '-', '+']);
/** The functions of Argo's condition environment that this evaluator implements. */
const FUNCTIONS = new Set(['len', 'isNaN', 'isInf']);

function unsupported(source: string, what: string): CanaryDrillError {
  return new CanaryDrillError(
    'CONDITION_UNSUPPORTED',
    `condition "${source}": ${what} is not supported by the drill's evaluator (supported: result, result[i], numbers, strings, true/false, len/isNaN/isInf, comparison, arithmetic, && || ! and or not)`,
  );
}

/** Rejects, at parse time, every node the evaluator would not know how to run. */
function check(node: Expression, source: string): void {
  switch (node.type) {
    case 'Literal':
      if (!['number', 'string', 'boolean'].includes(typeof node.value)) {
        throw unsupported(source, `the literal ${String(node.raw)}`);
      }
      return;
    case 'Identifier':
      if (node.name !== 'result' && node.name !== 'true' && node.name !== 'false') {
        throw unsupported(source, `the name "${String(node.name)}"`);
      }
      return;
    case 'MemberExpression':
      if (!node.computed) throw unsupported(source, 'field access (result.x)');
      check(node.object as Expression, source);
      check(node.property as Expression, source);
      return;
    case 'CallExpression': {
      const callee = node.callee as Expression;
      const name = callee.type === 'Identifier' ? String(callee.name) : '';
      if (!FUNCTIONS.has(name)) throw unsupported(source, `the function "${name || '?'}"`);
      const args = node.arguments as Expression[];
      if (args.length !== 1) throw unsupported(source, `${name} with ${args.length} arguments`);
      for (const arg of args) check(arg, source);
      return;
    }
    case 'BinaryExpression':
      if (!BINARY.has(String(node.operator))) {
        throw unsupported(source, `the operator "${String(node.operator)}"`);
      }
      check(node.left as Expression, source);
      check(node.right as Expression, source);
      return;
    case 'UnaryExpression':
      if (!UNARY.has(String(node.operator))) {
        throw unsupported(source, `the operator "${String(node.operator)}"`);
      }
      check(node.argument as Expression, source);
      return;
    default:
      throw unsupported(source, `a ${node.type}`);
  }
}

/**
 * Parses an Argo Rollouts condition (the `expr` language, the subset the chart uses) with jsep.
 *
 * @throws {CanaryDrillError} `CONDITION_UNSUPPORTED` for syntax outside that subset (closures
 *   such as `all(result, {# < 0.3})`, `in`, `matches`, ternaries, other functions)
 * @example
 * const condition = parseCondition('result[0] <= 6');
 * evaluateCondition(condition, [0.4]); // true
 */
export function parseCondition(source: string): Condition {
  let ast: Expression;
  try {
    ast = parser()(source);
  } catch (err) {
    throw new CanaryDrillError(
      'CONDITION_UNSUPPORTED',
      `condition "${source}" does not parse: ${(err as Error).message}`,
      { cause: err },
    );
  }
  check(ast, source);
  return { source, ast };
}

type Value = number | string | boolean | number[];

function num(value: Value, what: string): number {
  if (typeof value !== 'number') {
    throw new ConditionRuntimeError(`${what} needs a number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function bool(value: Value, what: string): boolean {
  if (typeof value !== 'boolean') {
    throw new ConditionRuntimeError(`${what} needs a bool, got ${JSON.stringify(value)}`);
  }
  return value;
}

function compare(op: string, left: Value, right: Value): boolean {
  if (op === '==' || op === '!=') {
    if (Array.isArray(left) || Array.isArray(right)) {
      throw new ConditionRuntimeError(`${op} between a list and a value`);
    }
    if (typeof left !== typeof right) {
      throw new ConditionRuntimeError(`invalid operation: ${typeof left} ${op} ${typeof right}`);
    }
    // NaN == NaN is false, as in Go.
    return op === '==' ? left === right : left !== right;
  }
  const a = num(left, op);
  const b = num(right, op);
  // Every comparison with NaN is false, as in Go (and so in expr).
  if (op === '<') return a < b;
  if (op === '<=') return a <= b;
  if (op === '>') return a > b;
  return a >= b;
}

function run(node: Expression, result: MetricResult): Value {
  switch (node.type) {
    case 'Literal':
      return node.value as number | string | boolean;
    case 'Identifier':
      if (node.name === 'true') return true;
      if (node.name === 'false') return false;
      return result;
    case 'MemberExpression': {
      const list = run(node.object as Expression, result);
      const index = num(run(node.property as Expression, result), 'an index');
      if (!Array.isArray(list)) throw new ConditionRuntimeError('cannot index a scalar result');
      if (!Number.isInteger(index) || index < 0 || index >= list.length) {
        throw new ConditionRuntimeError(
          `index out of range: ${index} (array length is ${list.length})`,
        );
      }
      return list[index] as number;
    }
    case 'CallExpression': {
      const name = String((node.callee as Expression).name);
      const arg = run((node.arguments as Expression[])[0] as Expression, result);
      if (name === 'len') {
        if (typeof arg === 'string' || Array.isArray(arg)) return arg.length;
        throw new ConditionRuntimeError(`invalid argument for len (type ${typeof arg})`);
      }
      const value = num(arg, name);
      return name === 'isNaN'
        ? Number.isNaN(value)
        : !Number.isFinite(value) && !Number.isNaN(value);
    }
    case 'UnaryExpression': {
      const op = String(node.operator);
      const value = run(node.argument as Expression, result);
      if (op === '!' || op === 'not') return !bool(value, op);
      return op === '-' ? -num(value, op) : num(value, op);
    }
    case 'BinaryExpression': {
      const op = String(node.operator);
      const left = run(node.left as Expression, result);
      // Short-circuit, as expr does: `len(result) == 0 || result[0] < 1` is safe on [].
      if (op === '||' || op === 'or') {
        return bool(left, op) || bool(run(node.right as Expression, result), op);
      }
      if (op === '&&' || op === 'and') {
        return bool(left, op) && bool(run(node.right as Expression, result), op);
      }
      const right = run(node.right as Expression, result);
      if (op === '+') return num(left, op) + num(right, op);
      if (op === '-') return num(left, op) - num(right, op);
      if (op === '*') return num(left, op) * num(right, op);
      if (op === '/') return num(left, op) / num(right, op);
      return compare(op, left, right);
    }
    default:
      throw new ConditionRuntimeError(`cannot evaluate a ${node.type}`);
  }
}

/**
 * Evaluates a parsed condition with `result` bound as Argo binds it.
 *
 * @throws {ConditionRuntimeError} where `expr` fails at run time (index out of range on an empty
 *   result, a type mismatch, a non-bool outcome): Argo records the measurement as Error
 */
export function evaluateCondition(condition: Condition, result: MetricResult): boolean {
  const value = run(condition.ast, result);
  if (typeof value !== 'boolean') {
    throw new ConditionRuntimeError(
      `condition "${condition.source}": expected bool, but got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
