import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from '../errors';
import { mixSeed } from './seeds';
import { SeededDropout } from './seeded-dropout';
import { isTraining, LayerArgs, LayerKwargs, singleInput, singleShape } from './types';

/** What a layer's `call` or weight accessor throws when `build` has not run yet. */
export function notBuiltError(layerName: string): Error {
  return new Error(`${layerName}: the layer is not built yet; apply it to a tensor first.`);
}

/** Options every sensor-grouped block layer takes. */
export interface SensorBlockArgs extends LayerArgs {
  /** Output channels. */
  filters: number;
  /** Taps per convolution (the default is the subclass's). */
  kernelSize?: number;
  /** Dropout rate in training, [0, 1). Default 0. */
  dropout?: number;
  /** One set of weights for all sensors instead of one per sensor. Default false. */
  shared?: boolean;
  /** Seeds the initial weights and the dropout stream. Default 0. */
  seed?: number;
}

/**
 * Base of the layers that run one block on every sensor: [batch, time, sensors, cin] -> [batch, time, sensors,
 * filters], weights grouped per sensor (a leading [sensors] axis) unless `shared`. It holds the common options and
 * their checks, the seeded dropout stream (seed mixSeed(seed, 99)), the input-shape check of `build`, the output
 * shape, and `call`: the input goes sensor-major ([sensors, batch, time, channels], so each sensor's weights are one
 * batched matMul) into `forwardSensorMajor` and back. Subclasses add their weights in `build`, the forward pass,
 * the per-sensor-step MACs and their own config keys (on top of `getConfig` here).
 */
export abstract class SensorBlockLayer extends tf.layers.Layer {
  readonly filters: number;
  readonly kernelSize: number;
  readonly rate: number;
  readonly shared: boolean;
  readonly seed: number;
  protected readonly dropoutStream: SeededDropout;

  constructor(args: SensorBlockArgs, defaultKernelSize: number) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize ?? defaultKernelSize;
    this.rate = args.dropout ?? 0;
    this.shared = args.shared ?? false;
    this.seed = args.seed ?? 0;
    this.checkIntegers({ filters: this.filters, kernelSize: this.kernelSize });
    this.checkFraction('dropout', this.rate);
    this.dropoutStream = new SeededDropout(mixSeed(this.seed, 99));
  }

  /** RangeError naming the option unless each value is an integer >= min. */
  protected checkIntegers(values: Record<string, number>, min = 1): void {
    for (const [k, v] of Object.entries(values)) {
      if (!Number.isInteger(v) || v < min) throw new RangeError(`${this.getClassName()}: ${k} ${v} received; expected an integer >= ${min}.`);
    }
  }

  /** RangeError naming the option unless 0 <= value < 1. */
  protected checkFraction(name: string, value: number): void {
    if (!(value >= 0 && value < 1)) throw new RangeError(`${this.getClassName()}: ${name} ${value} received; expected a number in [0, 1).`);
  }

  /** Sensors and input channels of a [batch, time, sensors, channels] input, and the weights' leading axis. */
  protected groupShape(inputShape: tf.Shape | tf.Shape[]): { sensors: number; channels: number; lead: number[] } {
    const shape = singleShape(inputShape, this.name);
    const sensors = shape[2];
    const channels = shape[3];
    if (shape.length !== 4 || sensors == null || channels == null) {
      throw new ShapeMismatchError(this.name, shape, '[batch, time, sensors, channels] with sensors and channels known');
    }
    return { sensors, channels, lead: this.shared ? [] : [sensors] };
  }

  /** The variable, or the "not built yet" error when `build` has not run. */
  protected builtVar(v: tf.LayerVariable | undefined): tf.LayerVariable {
    if (!v) throw notBuiltError(this.name);
    return v;
  }

  /** Multiply-accumulates of one sensor at one step for `channels` input channels. */
  protected abstract stepMacs(channels: number): number;

  /** Multiply-accumulates for one window: steps x sensors x `stepMacs`. */
  macs(inputShape: tf.Shape | tf.Shape[]): number {
    const [, t, s, cin] = singleShape(inputShape, this.name) as number[];
    return (t ?? 1) * s * this.stepMacs(cin);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape, this.name);
    return [shape[0], shape[1], shape[2], this.filters];
  }

  /** The block on sensor-major data [sensors, batch, time, cin] -> [sensors, batch, time, filters]. */
  protected abstract forwardSensorMajor(x: tf.Tensor4D, training: boolean): tf.Tensor4D;

  /** The seeded dropout to apply in training, or undefined (inference, or rate 0). */
  protected dropoutFor(training: boolean): ((t: tf.Tensor4D) => tf.Tensor4D) | undefined {
    return training && this.rate > 0 ? (t) => this.dropoutStream.apply(t, this.rate, true) : undefined;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: LayerKwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.name) as tf.Tensor4D;
      const y = this.forwardSensorMajor(tf.transpose(x, [2, 0, 1, 3]) as tf.Tensor4D, isTraining(kwargs));
      return tf.transpose(y, [1, 2, 0, 3]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, kernelSize: this.kernelSize, dropout: this.rate, shared: this.shared, seed: this.seed };
  }
}
