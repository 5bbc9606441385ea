// The memory benchmark's page (tests/bench/memory.mjs): drives memory-worker.js step by step
// (the runner reads the renderer's memory between steps) and records the page's long tasks
// while the operation runs.
const worker = new Worker('/bench/memory-worker.js', { type: 'module' });
let longest = 0;
let measuring = false;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (measuring) longest = Math.max(longest, e.duration);
}).observe({ type: 'longtask' });

function ask(message) {
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => (data.ok ? resolve(data) : reject(new Error(data.error)));
    worker.postMessage(message);
  });
}

window.memoryStep = async (message) => {
  if (!message.run) return ask(message);
  longest = 0;
  measuring = true;
  const done = await ask(message);
  // Long tasks are reported after they end: give the observer a turn.
  await new Promise((resolve) => setTimeout(resolve, 100));
  measuring = false;
  const { out, ...rest } = done;
  return { ...rest, received: out ? out.length : rest.outBytes, longestTaskMs: longest };
};
document.getElementById('status').textContent = 'ready';
