'use strict';
// A stand-in ECGridOS SOAP service built by node-soap from ../soap/ECGridOS.wsdl,
// for checking the Go SDK's SOAP transport against an independent SOAP stack.
//
// Usage: node server.js [ID:LEVEL:KEY ...]     (or ECGRID_USERS="ID:LEVEL:KEY ...")
//   LEVEL is "admin" (NetworkAdmin: may act on any user) or "user" (itself only).
//   Default: 1:admin:<fixed key> and 42:user:<fixed key>.
//
// It listens on 127.0.0.1, port chosen by the system, and prints one line, the
// base URL, on stdout. SOAP 1.1 is served at <base>/v4.1/prod/ECGridOS.asmx and
// SOAP 1.2 at <base>/soap12/v4.1/prod/ECGridOS.asmx (node-soap answers in one
// envelope version per listener). It exits when stdin closes or on SIGTERM/SIGINT.
//
// Semantics, as the live service documents them: SessionID is a user's current
// key; GenerateAPIKey replaces the key (the old one is refused from then on);
// UserGetAPIKey reads it. Faults come with HTTP 500, as from ASMX, with
// ECGridOSSOAPErrorCode in the detail: Authentication (unknown or replaced
// key), Authorization (a plain user acting on another user), ObjectNotFound,
// InvalidParameter (also: a request whose Content-Type, SOAPAction or
// envelope namespace doesn't match the SOAP version of the endpoint).
// UserID 500 and 200 trigger the two misbehaviours described in call().

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const soap = require('soap');

const NS = 'https://os.ecgrid.io/';
const ENV11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const ENV12 = 'http://www.w3.org/2003/05/soap-envelope';
const PATH11 = '/v4.1/prod/ECGridOS.asmx';
const PATH12 = '/soap12/v4.1/prod/ECGridOS.asmx';

const wsdl = fs.readFileSync(path.join(__dirname, '..', 'soap', 'ECGridOS.wsdl'), 'utf8');

// --- key store --------------------------------------------------------------

const seeds = process.argv.length > 2
  ? process.argv.slice(2)
  : (process.env.ECGRID_USERS || '1:admin:11111111-aaaa-4aaa-8aaa-000000000001 42:user:42424242-bbbb-4bbb-8bbb-000000000042')
    .split(/\s+/).filter(Boolean);

const users = new Map(); // id -> {id, admin, key, rotations}
for (const s of seeds) {
  const [id, level, ...rest] = s.split(':');
  const key = rest.join(':'); // a key may contain ':'
  if (!/^[1-9][0-9]*$/.test(id) || !['admin', 'user'].includes(level) || !key) {
    console.error(`bad user seed ${JSON.stringify(s)}: want ID:admin|user:KEY`);
    process.exit(2);
  }
  users.set(Number(id), { id: Number(id), admin: level === 'admin', key, rotations: 0 });
}

// nextKey is deterministic: the same seeds and calls give the same keys.
function nextKey(u) {
  u.rotations++;
  const h = crypto.createHash('sha256').update(`${u.id}/${u.rotations}/${u.key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// --- faults ------------------------------------------------------------------

// fault builds what a node-soap service method throws: ASMX's fault shape
// for the endpoint's SOAP version, with HTTP 500.
function fault(v12, code, message, client = true) {
  if (v12) {
    return {
      Fault: {
        Code: { Value: client ? 'soap12:Sender' : 'soap12:Receiver' },
        Reason: { Text: message },
        Detail: { ECGridOSSOAPErrorCode: code },
        statusCode: 500,
      },
    };
  }
  return {
    Fault: {
      faultcode: client ? 'soap:Client' : 'soap:Server',
      faultstring: message,
      detail: { ECGridOSSOAPErrorCode: code },
      statusCode: 500,
    },
  };
}

// checkProtocol refuses what ASMX would refuse and node-soap lets through:
// a Content-Type, action or envelope namespace of the wrong SOAP version.
function checkProtocol(v12, op, req) {
  const ct = String(req.headers['content-type'] || '');
  const action = NS + op;
  const raw = req.rawXml || '';
  if (v12) {
    const m = /;\s*action\s*=\s*"?([^";]*)"?/i.exec(ct);
    if (!/^application\/soap\+xml\s*(;|$)/i.test(ct)) return `Content-Type ${ct} is not SOAP 1.2`;
    if (m && m[1] !== action) return `action ${m[1]} is not ${action}`;
    if (req.headers.soapaction !== undefined) return 'SOAPAction header sent with SOAP 1.2';
    if (!raw.includes(`"${ENV12}"`) || raw.includes(`"${ENV11}"`)) return 'envelope namespace is not SOAP 1.2';
  } else {
    if (!/^text\/xml\s*(;|$)/i.test(ct)) return `Content-Type ${ct} is not SOAP 1.1`;
    // Strict on purpose: the quoted form the vendor documents, and that
    // node-soap and .NET clients send, is the only one accepted here.
    if (req.headers.soapaction !== `"${action}"`) return `SOAPAction ${req.headers.soapaction} is not "${action}"`;
    if (!raw.includes(`"${ENV11}"`) || raw.includes(`"${ENV12}"`)) return 'envelope namespace is not SOAP 1.1';
  }
  if (!raw.includes(`="${NS}"`)) return `operation namespace is not ${NS}`;
  return '';
}

// call runs one operation for the endpoint's SOAP version.
function call(v12, op, args, req) {
  const bad = checkProtocol(v12, op, req);
  if (bad) throw fault(v12, 'InvalidParameter', bad);
  const session = typeof args.SessionID === 'string' ? args.SessionID : '';
  const id = Number(args.UserID);
  const caller = [...users.values()].find((u) => session !== '' && u.key === session);
  if (!caller) throw fault(v12, 'Authentication', 'Invalid Session ID');
  if (!Number.isInteger(id) || id < -2147483648 || id > 2147483647) {
    throw fault(v12, 'InvalidParameter', 'UserID is not an xs:int');
  }
  // Two fixed misbehaviours of node-soap servers, on user IDs nobody holds:
  if (id === 500) throw new Error('handler failed'); // node-soap's own fault: SOAP-ENV:Server, HTTP 500
  if (id === 200) {
    const f = fault(v12, 'ObjectNotFound', `User ${id} not found`);
    delete f.Fault.statusCode; // node-soap's default status for a fault: 200
    throw f;
  }
  if (caller.id !== id && !caller.admin) throw fault(v12, 'Authorization', 'Not authorized for this user');
  const target = users.get(id);
  if (!target) throw fault(v12, 'ObjectNotFound', `User ${id} not found`);
  if (op === 'GenerateAPIKey') {
    target.key = nextKey(target);
    return { GenerateAPIKeyResult: target.key };
  }
  return { UserGetAPIKeyResult: target.key };
}

function service(v12) {
  const ops = {
    GenerateAPIKey: (args, _cb, _headers, req) => call(v12, 'GenerateAPIKey', args, req),
    UserGetAPIKey: (args, _cb, _headers, req) => call(v12, 'UserGetAPIKey', args, req),
  };
  return { ECGridOS: { ECGridOSSoap: ops, ECGridOSSoap12: ops } };
}

// --- HTTP ---------------------------------------------------------------------

const server = http.createServer((req, res) => {
  // Requests for neither endpoint end up here.
  res.statusCode = 404;
  res.end('not found\n');
});

server.listen(0, '127.0.0.1', () => {
  let pending = 2;
  const ready = (err) => {
    if (err) {
      console.error(err);
      process.exit(1);
    }
    if (--pending === 0) {
      const { port } = server.address();
      process.stdout.write(`http://127.0.0.1:${port}\n`);
    }
  };
  for (const v12 of [false, true]) {
    const s = soap.listen(server, {
      path: v12 ? PATH12 : PATH11,
      services: service(v12),
      xml: wsdl,
      forceSoap12Headers: v12,
      envelopeKey: v12 ? 'soap12' : 'soap', // the prefixes ASMX uses
      suppressStack: true,
      // SOAP 1.1 answers with Content-Length, as ASMX does; SOAP 1.2 with
      // node-soap's default, chunked transfer encoding.
      enableChunkedEncoding: v12,
      callback: ready,
    });
    // Keep the raw request so checkProtocol can look at namespaces.
    s.log = (type, data, req) => {
      if (type === 'received' && req) req.rawXml = data;
    };
  }
});

// Bounded lifetime: stop with the parent.
const stop = () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
