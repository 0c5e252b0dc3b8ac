// The Web Worker: loads the same wasm module as the page (its `main` does
// nothing without a window but install the panic hook) and runs one job per
// message; progress messages are posted from Rust, the result or the error
// from here. The result's typed arrays are moved to the page (transfer
// list), not copied.
//
// A wasm trap (an allocation the tab could not serve, a panic) leaves the
// module unusable: it is reported as `crash` with what the page needs to say
// why (the refused allocation, the memory in use), and the page terminates
// this worker and starts a fresh one for the next run.
import init, { worker_run, worker_refused_bytes } from './taxdistill_web.js';

const ready = init();
let wasm = null;
ready.then((w) => { wasm = w; }, () => {});

function crash(e) {
  let refusedBytes = 0;
  try { refusedBytes = worker_refused_bytes(); } catch (_) { /* the module is gone */ }
  self.postMessage({
    type: 'crash',
    name: String((e && e.name) || 'Error'),
    message: String((e && e.message) || e),
    refusedBytes,
    memoryBytes: wasm ? wasm.memory.buffer.byteLength : 0,
  });
}

const trapped = (e) => e instanceof WebAssembly.RuntimeError || e instanceof RangeError;

// a trap inside the job's future surfaces here, not as a rejected promise
self.addEventListener('error', (ev) => { ev.preventDefault(); crash(ev.error ?? ev.message); });
self.addEventListener('unhandledrejection', (ev) => { ev.preventDefault(); crash(ev.reason); });

self.onmessage = async (ev) => {
  try {
    await ready;
    const result = await worker_run(ev.data);
    const transfer = result.transfer ?? [];
    delete result.transfer;
    self.postMessage({ type: 'done', result }, transfer);
  } catch (e) {
    if (trapped(e)) crash(e);
    else self.postMessage({ type: 'error', message: String((e && e.message) || e) });
  }
};
