import { firstLayerProgram, shareholderHandler } from "./src/private/combined/index.ts";
import { Consumer, analyse, decodeProgram, Provider } from "./src/private/shamir/index.ts";
import { committedModel, splitModel } from "./src/private/split/parts.ts";
const m = splitModel(committedModel("mnist-mlp"), "mnist-mlp", "pre1");
const b = firstLayerProgram(m, { noise: false });
const px = Array.from({ length: 784 }, (_, i) => (i % 255) / 255);
for (let k = 0; k < 2; k++) {
let t = performance.now();
const inputs = b.encodeInputs(0, px);
const t1 = performance.now();
const c = new Consumer({ program: b.program, inputs });
const t2 = performance.now();
const deals = c.start();
const t3 = performance.now();
const prog = decodeProgram(b.analysis.encoded);
const t4 = performance.now();
analyse(prog);
const t5 = performance.now();
const out = new Provider({ index: 1, session: c.session }).receive(deals[0].bytes);
const t6 = performance.now();
console.log({ encode: t1 - t, consumerCtor: t2 - t1, start: t3 - t2, decodeProgram: t4 - t3, analyse: t5 - t4, providerReceive: t6 - t5 });
}
