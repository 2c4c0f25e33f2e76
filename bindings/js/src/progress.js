// Progress reports of long work: db.compact({ onProgress }) now; bulk ingestion and
// importDatabase take the same option. The callback receives one plain object per report,
//     { bytesDone, bytesTotal }
// (bytes of input; bytesTotal may grow while the work finds more, bytesDone <= bytesTotal, and
// the last report of work that succeeded has bytesDone === bytesTotal). The engine's reports
// come through Module.strataProgress (strata_js_host_progress, C strata_progress_fn). A callback
// that throws does not stop the work: the first error is rethrown once the work is done.
// No Node built-ins.
import { invalid } from './errors.js';

export function checkProgress(onProgress, what) {
  if (onProgress === undefined) return undefined;
  if (typeof onProgress !== 'function') throw invalid(`${what}: onProgress must be a function`);
  return onProgress;
}

// Runs work() with the module's progress import pointed at onProgress (nothing when undefined).
export function withProgress(m, onProgress, work) {
  if (!onProgress) return work();
  let error = null;
  m.strataProgress = (bytesDone, bytesTotal) => {
    if (error) return;
    try {
      onProgress({ bytesDone, bytesTotal });
    } catch (err) {
      error = err;
    }
  };
  try {
    const result = work();
    if (error) throw error;
    return result;
  } finally {
    m.strataProgress = undefined;
  }
}
