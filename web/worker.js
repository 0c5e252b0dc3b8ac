// The Web Worker: loads the same wasm module as the page (its `main` does
// nothing without a window) and runs one job per message; progress messages
// are posted from Rust, the result or the error from here. The result's
// typed arrays are moved to the page (transfer list), not copied.
import init, { worker_run } from './taxdistill_web.js';

const ready = init();

self.onmessage = async (ev) => {
  try {
    await ready;
    const result = await worker_run(ev.data);
    const transfer = result.transfer ?? [];
    delete result.transfer;
    self.postMessage({ type: 'done', result }, transfer);
  } catch (e) {
    self.postMessage({ type: 'error', message: String((e && e.message) || e) });
  }
};
