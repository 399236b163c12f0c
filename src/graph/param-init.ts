/**
 * How a parameter is initialised. Values are drawn by the runtime from a
 * seeded generator, so the same seed gives the same model.
 */
export type ParamInit =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'constant'; value: number }
  /** Normal(0, std²), truncated at ±2 std as in BERT/GPT-2 initialisation. */
  | { kind: 'normal'; std: number }
  /** Uniform(-bound, bound); PyTorch's Linear default uses bound = 1/sqrt(fanIn). */
  | { kind: 'uniform'; bound: number };

export const zerosInit: ParamInit = { kind: 'zeros' };
export const onesInit: ParamInit = { kind: 'ones' };
