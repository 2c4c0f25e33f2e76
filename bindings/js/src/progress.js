// Progress reports of long work: db.compact({ onProgress }), db.ingest(entries, { onProgress }),
// importDatabase and db.export take the same option. The callback receives one plain object per report,
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

// For progress counted on the JS side (ingest, importDatabase, export): report() calls onProgress
// (nothing when undefined) and keeps a throwing callback's first error, which take() rethrows
// once the work is done.
export function reporter(onProgress) {
  let error = null;
  return {
    report(bytesDone, bytesTotal) {
      if (!onProgress || error) return;
      try {
        onProgress({ bytesDone, bytesTotal });
      } catch (err) {
        error = err;
      }
    },
    take() {
      const err = error;
      error = null;
      if (err) throw err;
    },
  };
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
