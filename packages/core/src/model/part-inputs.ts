import * as tf from '@tensorflow/tfjs';
import type { WindowPart } from '../data';

/**
 * Model inputs of a spec whose inputs have their own rates: one `input_<name>` [batch, rate x window, 1] per graph
 * input (in `WindowSet.parts` order, the order `windowTensors` feeds them), each seen by the nodes as
 * [batch, time, 1 sensor, 1 channel].
 */
export function partInputs(parts: readonly WindowPart[]): { inputs: tf.SymbolicTensor[]; tensors: Map<string, tf.SymbolicTensor> } {
  const tensors = new Map<string, tf.SymbolicTensor>();
  const inputs = parts.map((q) => {
    const input = tf.input({ shape: [q.length, 1], name: `input_${q.name}` });
    tensors.set(q.name, tf.layers.reshape({ targetShape: [q.length, 1, 1], name: `encoder_input_${q.name}` }).apply(input) as tf.SymbolicTensor);
    return input;
  });
  return { inputs, tensors };
}
