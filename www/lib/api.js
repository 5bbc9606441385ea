// The ledger endpoint (/api/v1, SPEC.md §5). Reads of public ledger data are plain GETs;
// personal views and uploads are signed in the worker with the unlocked identity's key.

const API = '/api/v1';

async function parse(response) {
  if (response.ok) {
    const type = response.headers.get('content-type') ?? '';
    return type.includes('json') ? response.json() : response.text();
  }
  let body = {};
  try { body = await response.json(); } catch { /* not JSON */ }
  throw Object.assign(new Error(body.message ?? `the endpoint answered ${response.status}`), {
    name: 'SemresError', code: body.code ?? `Http${response.status}`, status: response.status,
  });
}

export function createApi(call) {
  return {
    get: (path) => fetch(`${API}${path}`).then(parse),
    /** A GET signed by the unlocked identity. */
    async signedGet(path) {
      const headers = await call('signedHeaders', { method: 'GET', path: `${API}${path}` });
      return fetch(`${API}${path}`, { headers }).then(parse);
    },
    async signedPut(path, json) {
      const headers = await call('signedHeaders', { method: 'PUT', path: `${API}${path}` });
      return fetch(`${API}${path}`, { method: 'PUT', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(json) }).then(parse);
    },
    /** Submits a signed entry; the answer carries its block, inclusion proof and checkpoint. */
    postEntry: (entry) => fetch(`${API}/entries`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ entry }),
    }).then(parse),
  };
}
