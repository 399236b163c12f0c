import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
const { onnx } = onnxProto;
const N = Number(process.argv[2]), hop = Number(process.argv[3]), L = Number(process.argv[4]);
const win = new Float32Array(N); for (let i = 0; i < N; i++) win[i] = i < N - 2 ? 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (N-2)) : 0;
const model = onnx.ModelProto.create({
  irVersion: 10, opsetImport: [{ domain: '', version: 21 }],
  graph: {
    name: 'p',
    node: [{ opType: 'STFT', input: ['x', 'step', 'win', 'flen'], output: ['y'], attribute: [{ name: 'onesided', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] }],
    input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: L }, { dimValue: 1 }] } } } }],
    output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
    initializer: [
      { name: 'step', dims: [], dataType: 7, rawData: new Uint8Array(BigInt64Array.of(BigInt(hop)).buffer) },
      { name: 'flen', dims: [], dataType: 7, rawData: new Uint8Array(BigInt64Array.of(BigInt(N)).buffer) },
      { name: 'win', dims: [N], dataType: 1, rawData: new Uint8Array(win.buffer) },
    ],
  },
});
const bytes = onnx.ModelProto.encode(model).finish();
const s = await ort.InferenceSession.create(bytes);
const x = new Float32Array(2 * L); for (let i = 0; i < x.length; i++) x[i] = Math.sin(0.3 * i) + (i % 7) * 0.1;
const t0 = performance.now();
const out = (await s.run({ x: new ort.Tensor('float32', x, [2, L, 1]) })).y!;
console.log(out.dims, performance.now() - t0, "ms");
const y = out.data as Float32Array;
const frames = Math.floor((L - N) / hop) + 1, bins = N / 2 + 1;
let maxErr = 0;
for (let b = 0; b < 2; b++) for (let f = 0; f < frames; f++) for (let k = 0; k < bins; k++) {
  let re = 0, im = 0;
  for (let n = 0; n < N; n++) { const v = x[b * L + f * hop + n]! * win[n]!; re += v * Math.cos(2 * Math.PI * k * n / N); im -= v * Math.sin(2 * Math.PI * k * n / N); }
  const i = ((b * frames + f) * bins + k) * 2;
  maxErr = Math.max(maxErr, Math.abs(y[i]! - re), Math.abs(y[i + 1]! - im));
}
console.log('frames', frames, 'maxErr', maxErr);
