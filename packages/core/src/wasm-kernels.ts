import * as tf from '@tensorflow/tfjs';
import { wasmAddRows } from './wasm-add-rows';

/**
 * Faster kernels for tfjs-backend-wasm (4.22), each giving the stock kernel's values bit for bit.
 *
 * Data movement: Slice, SplitV, Unpack, Concat and Pack run in
 * JavaScript there, and two things make them slow on the small tensors of a training step:
 * - `Slice` starts with `backend.readSync(x)`, a copy of the whole input out of the wasm heap, so SplitV (one slice
 *   per piece) and Unpack (one per index) copy their whole input once per output: an Unpack of 160 time steps
 *   copies it 160 times;
 * - every contiguous run, however short (often one row of 25 or 64 floats), is copied with
 *   `out.set(in.subarray(...))`: two calls and a view object per row.
 * These replacements read the inputs in place in the heap (after the outputs are allocated, since an allocation
 * may grow the memory), merge trailing axes into the longest contiguous runs, and copy each run with one
 * `copyWithin` on the heap's bytes (a memmove; about 1 ns per float32 from 8 floats on, against 2-5 ns for
 * `set(subarray)` or a loop), runs under 32 bytes with a plain loop. The values are copies either way: the results
 * are the same bits (also for NaN payloads: words and bytes are copied, never floats). Registered for the backend
 * name 'wasm', so they serve the single- and the multi-threaded builds; string tensors keep the stock kernels.
 */

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
  incRef(dataId: tf.DataId): void;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  /** The emscripten module; `asm.memory` is the single-threaded build's (non-shared) memory. */
  wasm: { HEAPU8: Uint8Array; asm?: { memory?: object } };
}

type Args = { inputs: Record<string, tf.TensorInfo> | tf.TensorInfo[]; backend: WasmBackendLike; attrs: Record<string, unknown> };

/**
 * The wasm heap as one kernel call sees it (taken after the outputs are allocated: an allocation may grow the
 * memory and detach older views), with the element size of the dtype being copied. Positions are in elements from
 * a tensor's first byte.
 */
class Heap {
  private readonly u8: Uint8Array;
  private readonly i32: Int32Array;

  constructor(
    private readonly backend: WasmBackendLike,
    /** Bytes per element: 4 (float32, int32) or 1 (bool). */
    readonly size: number
  ) {
    this.u8 = backend.wasm.HEAPU8;
    this.i32 = new Int32Array(this.u8.buffer, this.u8.byteOffset, this.u8.byteLength >> 2);
  }

  /** A tensor's first byte in the heap. */
  at(t: tf.TensorInfo): number {
    return this.backend.dataIdMap.get(t.dataId)!.memoryOffset;
  }

  /**
   * Copies n elements from element `from` of the tensor at byte `src` to element `to` of the one at byte `dst`.
   * Runs of 32 bytes or more are one `copyWithin` (a memmove); shorter ones a loop over 32-bit words or bytes.
   */
  run(src: number, from: number, dst: number, to: number, n: number): void {
    const bytes = n * this.size;
    const s = src + from * this.size;
    const d = dst + to * this.size;
    if (bytes >= 32) {
      this.u8.copyWithin(d, s, s + bytes);
    } else if (this.size === 4) {
      const si = s >> 2;
      const di = d >> 2;
      for (let i = 0; i < n; i++) this.i32[di + i] = this.i32[si + i];
    } else {
      for (let i = 0; i < bytes; i++) this.u8[d + i] = this.u8[s + i];
    }
  }

  /**
   * `count` runs of n elements, the k-th from element `from + k * fromStride` to element `to + k * toStride`: one
   * call per run when the runs are long, one loop over all of them when they are short (a spatial attention's
   * 2-channel taps: 8-byte runs).
   */
  rows(src: number, from: number, fromStride: number, dst: number, to: number, toStride: number, count: number, n: number): void {
    if (n * this.size >= 32 || this.size !== 4) {
      for (let k = 0; k < count; k++) this.run(src, from + k * fromStride, dst, to + k * toStride, n);
      return;
    }
    let si = (src >> 2) + from;
    let di = (dst >> 2) + to;
    const words = this.i32;
    for (let k = 0; k < count; k++, si += fromStride, di += toStride) {
      for (let i = 0; i < n; i++) words[di + i] = words[si + i];
    }
  }
}

const BYTES: Partial<Record<tf.DataType, number>> = { float32: 4, int32: 4, bool: 1 };

const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Copies the box `begin`/`size` of the tensor at byte `src` (of shape `shape`) to the one at byte `dst`, row-major. */
function copyBox(heap: Heap, src: number, shape: number[], begin: number[], size: number[], dst: number): void {
  const rank = shape.length;
  if (sizeOf(size) === 0) return;
  const strides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  // Innermost contiguous run: trailing full axes, times the first axis (from the end) that is not full.
  let k = rank - 1;
  let run = 1;
  while (k >= 0) {
    run *= size[k];
    if (size[k] !== shape[k]) break;
    k--;
  }
  let base = 0;
  for (let i = 0; i < rank; i++) base += begin[i] * strides[i];
  if (k <= 0) {
    heap.run(src, base, dst, 0, run);
    return;
  }
  // Rows along axis k-1, an odometer over the axes before it.
  const idx = new Array<number>(k).fill(0);
  let out = 0;
  let off = base;
  for (;;) {
    heap.rows(src, off, strides[k - 1], dst, out, run, size[k - 1], run);
    out += run * size[k - 1];
    let a = k - 2;
    while (a >= 0) {
      idx[a]++;
      off += strides[a];
      if (idx[a] < size[a]) break;
      off -= size[a] * strides[a];
      idx[a] = 0;
      a--;
    }
    if (a < 0) return;
  }
}

function slice(args: Args): tf.TensorInfo {
  const x = (args.inputs as Record<string, tf.TensorInfo>).x;
  const { begin, size } = args.attrs as { begin: number | number[]; size?: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  const out = args.backend.makeOutput(s, x.dtype);
  const heap = new Heap(args.backend, BYTES[x.dtype]!);
  copyBox(heap, heap.at(x), x.shape, b, s, heap.at(out));
  return out;
}

/** Pieces of `x` along `axis` of the given sizes (each [..., sizes[j], ...]). */
function splitAlong(backend: WasmBackendLike, x: tf.TensorInfo, axis: number, sizes: number[], shapeOf: (n: number) => number[]): tf.TensorInfo[] {
  const outs = sizes.map((n) => backend.makeOutput(shapeOf(n), x.dtype));
  const heap = new Heap(backend, BYTES[x.dtype]!);
  const src = heap.at(x);
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const rowLen = x.shape[axis] * inner;
  let start = 0;
  sizes.forEach((n, j) => {
    const dst = heap.at(outs[j]);
    const run = n * inner;
    heap.rows(src, start * inner, rowLen, dst, 0, run, outer, run);
    start += n;
  });
  return outs;
}

function splitV(args: Args): tf.TensorInfo[] {
  const x = (args.inputs as Record<string, tf.TensorInfo>).x;
  const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  return splitAlong(args.backend, x, ax, sizes, (n) => x.shape.map((d, i) => (i === ax ? n : d)));
}

function unpack(args: Args): tf.TensorInfo[] {
  const value = (args.inputs as Record<string, tf.TensorInfo>).value;
  let axis = (args.attrs as { axis: number }).axis;
  if (axis < 0) axis += value.shape.length;
  const outShape = value.shape.filter((_, i) => i !== axis);
  return splitAlong(args.backend, value, axis, new Array<number>(value.shape[axis]).fill(1), () => outShape);
}

/** Inputs laid side by side: each contributes `inner[i]` values per row of `outer` rows. */
function interleave(backend: WasmBackendLike, inputs: tf.TensorInfo[], outShape: number[], outer: number, inner: number[]): tf.TensorInfo {
  const out = backend.makeOutput(outShape, inputs[0].dtype);
  if (sizeOf(outShape) === 0) return out;
  const heap = new Heap(backend, BYTES[inputs[0].dtype]!);
  const srcs = inputs.map((t) => heap.at(t));
  const dst = heap.at(out);
  const total = inner.reduce((a, b) => a + b, 0);
  let to = 0;
  for (let i = 0; i < srcs.length; i++) {
    const n = inner[i];
    heap.rows(srcs[i], 0, n, dst, to, total, outer, n);
    to += n;
  }
  return out;
}

function concat(args: Args, stock: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const inputs = args.inputs as tf.TensorInfo[];
  const axis = tf.util.parseAxisParam(args.attrs.axis as number, inputs[0].shape)[0];
  const live = inputs.filter((t) => sizeOf(t.shape) > 0);
  // One non-empty input: the stock kernel's identity; mixed dtypes: the stock kernel.
  if (live.length < 2 || live.some((t) => t.dtype !== live[0].dtype)) return stock(args as unknown as Parameters<tf.KernelFunc>[0]);
  tf.backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis);
  const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
  const outer = sizeOf(live[0].shape.slice(0, axis));
  return interleave(args.backend, live, outShape, outer, live.map((t) => sizeOf(t.shape.slice(axis))));
}

function pack(args: Args, stock: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const inputs = args.inputs as tf.TensorInfo[];
  if (inputs.length === 1) return stock(args as unknown as Parameters<tf.KernelFunc>[0]);
  const shape = inputs[0].shape;
  let axis = args.attrs.axis as number;
  if (axis < 0) axis += shape.length + 1;
  inputs.forEach((t) => {
    tf.util.assertShapesMatch(shape, t.shape, 'All tensors passed to stack must have matching shapes');
    tf.util.assert(t.dtype === inputs[0].dtype, () => 'All tensors passed to stack must have matching dtypes');
  });
  const outShape = [...shape.slice(0, axis), inputs.length, ...shape.slice(axis)];
  const inner = sizeOf(shape.slice(axis));
  return interleave(args.backend, inputs, outShape, sizeOf(shape.slice(0, axis)), new Array<number>(inputs.length).fill(inner));
}

/**
 * Sum over a block of axes that leaves the innermost axis (a bias's gradient, a sum over time): the stock kernel
 * first transposes the input so that the summed axes come last (a full copy in wasm), then adds each output's terms
 * in order. Here each output's terms are added in the same order (row-major over the summed axes) straight from the
 * input, by `addRows` (wasm-add-rows.ts, WebAssembly SIMD in the backend's memory) or, where that cannot be built,
 * a JavaScript loop (float32 after every addition: a float64 sum of two float32 values rounded to float32 is their
 * float32 sum). Mean (a mean pooling over time) is the same sum divided by the count in float32, as its stock kernel
 * does after the same transposed copy. Sums over the innermost axis, over axes that are not one block, and of other dtypes keep the stock kernel.
 */
/** A reduction over one block of axes before the innermost one, as [outer, reduce, inner]; undefined otherwise. */
function rowBlock(x: tf.TensorInfo, axis: number | number[], keepDims: boolean): { outer: number; reduce: number; inner: number; outShape: number[] } | undefined {
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const first = axes[0];
  const last = axes[axes.length - 1];
  if (x.dtype !== 'float32' || axes.length === 0 || last === rank - 1 || last - first !== axes.length - 1) return undefined;
  return {
    outer: sizeOf(x.shape.slice(0, first)),
    reduce: sizeOf(x.shape.slice(first, last + 1)),
    inner: sizeOf(x.shape.slice(last + 1)),
    outShape: keepDims ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : x.shape.filter((_, i) => i < first || i > last),
  };
}

/**
 * Max over a block of axes before the innermost one (a max pooling over time), without the stock kernel's
 * transposed copy, with its semantics (checked against it): the first value, replaced by each later one that is
 * greater (so of -0 and 0 the first stays) or NaN (a NaN anywhere gives NaN).
 */
function maxRows(args: Args, stock: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const x = (args.inputs as Record<string, tf.TensorInfo>).x;
  const { reductionIndices, keepDims } = args.attrs as { reductionIndices: number | number[]; keepDims: boolean };
  const block = rowBlock(x, reductionIndices, keepDims);
  if (!block || block.reduce === 0) return stock(args as unknown as Parameters<tf.KernelFunc>[0]);
  const { outer, reduce, inner, outShape } = block;
  const out = args.backend.makeOutput(outShape, 'float32');
  const dst = args.backend.typedArrayFromHeap(out) as Float32Array;
  const src = args.backend.typedArrayFromHeap(x) as Float32Array;
  for (let o = 0; o < outer; o++) {
    const to = o * inner;
    const base = o * reduce * inner;
    for (let i = 0; i < inner; i++) dst[to + i] = src[base + i];
    for (let r = 1; r < reduce; r++) {
      const from = base + r * inner;
      for (let i = 0; i < inner; i++) {
        const v = src[from + i];
        if (v > dst[to + i] || v !== v) dst[to + i] = v;
      }
    }
  }
  return out;
}

function sumRows(args: Args, stock: tf.KernelFunc, mean: boolean): tf.TensorInfo | tf.TensorInfo[] {
  const x = (args.inputs as Record<string, tf.TensorInfo>).x;
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const block = rowBlock(x, axis, keepDims);
  if (!block) return stock(args as unknown as Parameters<tf.KernelFunc>[0]);
  const { outer, reduce, inner, outShape } = block;
  const out = args.backend.makeOutput(outShape, 'float32');
  const dst = args.backend.typedArrayFromHeap(out) as Float32Array;
  dst.fill(0);
  const addRows = wasmAddRows(args.backend.wasm.asm?.memory);
  if (addRows) {
    const heap = new Heap(args.backend, 4);
    const from = heap.at(x);
    const to = heap.at(out);
    for (let o = 0; o < outer; o++) addRows(to + o * inner * 4, from + o * reduce * inner * 4, reduce, inner);
  } else {
    const src = args.backend.typedArrayFromHeap(x) as Float32Array;
    for (let o = 0; o < outer; o++) {
      const to = o * inner;
      for (let r = 0; r < reduce; r++) {
        const from = (o * reduce + r) * inner;
        for (let i = 0; i < inner; i++) dst[to + i] += src[from + i];
      }
    }
  }
  // Mean: the float32 sum divided by the count in float32 (the stock kernel's sum / reduce_size).
  if (mean) for (let i = 0; i < dst.length; i++) dst[i] /= reduce;
  return out;
}

/**
 * Identity shares its input's memory (one more reference), as the cpu backend's Identity and the wasm backend's own
 * Reshape do; the stock wasm Identity copies it. tfjs clones (runs Identity on) every tensor a taped kernel saves
 * for the backward pass, about 290 per EmoHEAL training step. Tensors are immutable (a Variable's `assign` swaps
 * its data for another's, and no wasm kernel writes into an input), so a shared copy can never be told apart.
 */
function identity(args: Args): tf.TensorInfo {
  const x = (args.inputs as Record<string, tf.TensorInfo>).x;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * tfjs's gradient of Mean, dy / n broadcast over the averaged axes, written as `div(mul(dy, ones(x.shape)), n)`:
 * its `ones` fills an array element by element in JavaScript and copies it into the backend (0.6 M values per
 * mean pooling of a [5, 32, 160, 25] map). The same operations with the ones from the backend's Fill kernel: the
 * same values, so the same gradient bits (on every backend; tfjs keeps one gradient per kernel name).
 */
const meanGradient: tf.GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
    const reduceSize = tf.util.sizeFromShape(tf.backend_util.computeOutAndReduceShapes(x.shape, axes)[1]);
    return {
      x: () => {
        const expanded = x.shape.slice();
        axes.forEach((a) => (expanded[a] = 1));
        return tf.div(tf.mul(tf.reshape(dy as tf.Tensor, expanded), tf.fill(x.shape, 1)), reduceSize);
      },
    };
  },
};

let installed = false;

/** Replaces the wasm backend's Identity, Sum, Mean, Max, Slice, SplitV, Unpack, Concat and Pack kernels and Mean's gradient (once per process). */
export function installWasmKernels(): void {
  if (installed) return;
  const replace = (name: string, input: 'x' | 'value' | 'list', fast: (args: Args, stock: tf.KernelFunc) => tf.TensorInfo | tf.TensorInfo[]): void => {
    const cfg = tf.getKernel(name, 'wasm');
    if (!cfg) return;
    const stock = cfg.kernelFunc;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...cfg,
      kernelFunc: (a) => {
        const args = a as unknown as Args;
        const ins = input === 'list' ? (args.inputs as tf.TensorInfo[]) : [(args.inputs as Record<string, tf.TensorInfo>)[input]];
        if (ins.length === 0 || ins.some((t) => BYTES[t.dtype] === undefined)) return stock(a);
        return fast(args, stock);
      },
    });
  };
  replace('Identity', 'x', (a) => identity(a));
  replace('Sum', 'x', (a, stock) => sumRows(a, stock, false));
  replace('Mean', 'x', (a, stock) => sumRows(a, stock, true));
  replace('Max', 'x', maxRows);
  replace('Slice', 'x', (a) => slice(a));
  replace('SplitV', 'x', (a) => splitV(a));
  replace('Unpack', 'value', (a) => unpack(a));
  replace('Concat', 'list', concat);
  replace('Pack', 'list', pack);
  tf.registerGradient(meanGradient);
  installed = true;
}
