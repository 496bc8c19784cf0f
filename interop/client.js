'use strict';
// A node-soap client of an ECGridOS SOAP endpoint, driven entirely by the WSDL
// the endpoint serves at <url>?WSDL: it rotates a user's key with
// GenerateAPIKey, reads it back with UserGetAPIKey using the new key, then
// calls UserGetAPIKey with the old key, which must fail with a fault.
//
// Usage: node client.js URL USER_ID KEY [1.1|1.2]
//   (or env ECGRID_SOAP_URL, ECGRID_USER_ID, ECGRID_KEY, ECGRID_SOAP_VERSION)
//   URL is the SOAP endpoint (e.g. ecgridtest's Server.SOAPURL); KEY is the
//   user's current key, sent as SessionID.
//
// Prints one JSON object on stdout:
//   {"generated": "...", "got": "...", "oldKeyFault": {...}, "requests": [...]}
// where requests holds the HTTP headers node-soap sent (keys masked).
// Exits 1, with the error on stderr, if a call fails unexpectedly.

const soap = require('soap');

const [url, userID, key, version] = [
  process.argv[2] || process.env.ECGRID_SOAP_URL,
  process.argv[3] || process.env.ECGRID_USER_ID,
  process.argv[4] || process.env.ECGRID_KEY,
  process.argv[5] || process.env.ECGRID_SOAP_VERSION || '1.1',
];
if (!url || !/^[1-9][0-9]*$/.test(userID || '') || !key || !['1.1', '1.2'].includes(version)) {
  console.error('usage: node client.js URL USER_ID KEY [1.1|1.2]');
  process.exit(2);
}
const v12 = version === '1.2';

// Nothing here may take long: give up after 10 s whatever happens.
setTimeout(() => {
  console.error('client.js: timed out');
  process.exit(1);
}, 10_000).unref();

function mask(s) {
  return String(s).replaceAll(key, '<old key>');
}

async function main() {
  // The WSDL's addresses are the vendor's production endpoint; the endpoint
  // option sends every call to url instead. forceSoap12Headers makes
  // node-soap speak SOAP 1.2 (envelope namespace and Content-Type action);
  // the port is chosen to match, so the soapAction comes from that binding.
  const client = await soap.createClientAsync(`${url}?WSDL`, {
    endpoint: url,
    forceSoap12Headers: v12,
    disableCache: true,
  });
  const port = client.ECGridOS[v12 ? 'ECGridOSSoap12' : 'ECGridOSSoap'];
  const requests = [];
  const call = (op, args) => new Promise((resolve, reject) => {
    port[op](args, (err, result) => {
      requests.push({ op, headers: client.lastRequestHeaders || null });
      if (err) reject(err);
      else resolve(result);
    });
  });

  const id = Number(userID);
  const gen = await call('GenerateAPIKey', { SessionID: key, UserID: id });
  const generated = gen && gen.GenerateAPIKeyResult;
  if (typeof generated !== 'string' || generated === '') throw new Error(`no GenerateAPIKeyResult in ${JSON.stringify(gen)}`);
  const get = await call('UserGetAPIKey', { SessionID: generated, UserID: id });
  const got = get && get.UserGetAPIKeyResult;

  // The old key must now be refused with a fault that node-soap can read.
  let oldKeyFault = null;
  try {
    await call('UserGetAPIKey', { SessionID: key, UserID: id });
  } catch (err) {
    const f = err.root && err.root.Envelope && err.root.Envelope.Body && err.root.Envelope.Body.Fault;
    oldKeyFault = {
      status: err.response ? err.response.status : 0,
      fault: f || null,
      message: mask(err.message),
    };
  }

  const out = {
    generated,
    got,
    oldKeyFault,
    requests: requests.map((r) => ({
      op: r.op,
      contentType: r.headers && r.headers['Content-Type'],
      soapAction: r.headers && r.headers.SOAPAction,
    })),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  console.error('client.js:', mask(err && err.stack ? err.stack : err));
  if (err && err.body) console.error('response body:', mask(err.body));
  process.exit(1);
});
