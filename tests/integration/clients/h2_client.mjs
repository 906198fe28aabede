// A scriptable HTTP/2 (node:http2) and HTTP/1.1 (node:http, node:https) client for the
// integration tests. No npm packages.
//
//   node h2_client.mjs '<config JSON>'      then JSON commands, one per line, on stdin
//
// config: {"url": "http://127.0.0.1:PORT" | "https://...", "proto": "h2" | "h1",
//          "ca": "/path/ca.pem" (optional), "servername": "gw.test" (TLS SNI, optional),
//          "timeout_ms": 20000 (the whole run; then it reports what is pending and exits 2)}
// HTTP/2 uses ONE session for every request; HTTP/1.1 uses one keep-alive agent.
//
// commands (stdin):
//   {"op": "request", "id": "r1", "method": "POST", "path": "/p?q=1",
//    "headers": [["name", "value"], ...],      // repeated names are sent as separate fields
//    "body_file": "/path" | "body_b64": "...", // optional request body (no content-length is
//                                              // added: pass one in headers if you want it)
//    "paused": false,      // do not read the response body until {"op": "resume"}
//    "stream": false,      // report every body piece as it arrives ("data" events)
//    "want_body": true}    // include the body as base64 in "end" (sha256 and length always)
//   {"op": "resume", "id": "r1"}
//   {"op": "state", "id": "r1", "seq": 1}   // stream flow-control state (HTTP/2); seq echoed
//   {"op": "close"}               // finish outstanding requests, close, exit 0
//
// events (stdout, one JSON object per line):
//   {"event": "connect", "alpn": "h2"}                      (HTTP/2 session established)
//   {"event": "response", "id", "status", "headers": [[k, v], ...]}   (wire order)
//   {"event": "data", "id", "b64", "received"}              (only with "stream": true)
//   {"event": "end", "id", "status", "headers", "trailers": [[k, v], ...], "body_len",
//    "sha256", "body_b64"?}
//   {"event": "error", "id"?, "message", "code"}
//   {"event": "state", "id", "seq", "local_window_size", "stream_state", "buffered", "received",
//    "ended"}
//   {"event": "timeout", "pending": [ids]}   {"event": "closed"}
//
// Note: node 20's http2 takes request headers as an object, so fields with the same name are
// sent together, at the position of the first of them (h2clients.node_wire_order()).

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import readline from 'node:readline';

const cfg = JSON.parse(process.argv[2] || '{}');
const url = new URL(cfg.url);
const tls = url.protocol === 'https:';
const ca = cfg.ca ? fs.readFileSync(cfg.ca) : undefined;
const servername = cfg.servername || undefined;
const requests = new Map();   // id -> state
let session = null;
let agent = null;
let closing = false;

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function pairs(flat) {
  const out = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], String(flat[i + 1])]);
  return out;
}

function fail(id, err) {
  emit({event: 'error', id, message: String(err && err.message || err),
        code: err && err.code || null});
}

function bodyOf(cmd) {
  if (cmd.body_file) return fs.readFileSync(cmd.body_file);
  if (cmd.body_b64 !== undefined && cmd.body_b64 !== null) {
    return Buffer.from(cmd.body_b64, 'base64');
  }
  return null;
}

function finish(r) {
  if (r.done) return;
  r.done = true;
  const body = Buffer.concat(r.chunks);
  const want = r.cmd.want_body ?? true;
  const ev = {event: 'end', id: r.id, status: r.status, headers: r.headers,
              trailers: r.trailers, body_len: body.length,
              sha256: crypto.createHash('sha256').update(body).digest('hex')};
  if (want) ev.body_b64 = body.toString('base64');
  emit(ev);
  r.chunks = [];
  requests.delete(r.id);
  maybeExit();
}

function onData(r, chunk) {
  r.received += chunk.length;
  r.chunks.push(chunk);
  if (r.cmd.stream) emit({event: 'data', id: r.id, b64: chunk.toString('base64'),
                          received: r.received});
}

function startReading(r) {
  if (r.reading || !r.body) return;
  r.reading = true;
  r.body.on('data', (c) => onData(r, c));
  r.body.resume();
}

// -- HTTP/2 -----------------------------------------------------------------------------------

function h2Session() {
  if (session) return session;
  const opts = {};
  if (tls) {
    opts.ca = ca;
    opts.servername = servername;
    opts.ALPNProtocols = ['h2'];
  }
  session = http2.connect(url.origin, opts);
  session.on('connect', (s, socket) => {
    emit({event: 'connect', alpn: socket.alpnProtocol || 'h2c'});
  });
  session.on('error', (e) => fail(null, e));
  session.on('goaway', (code) => emit({event: 'goaway', code}));
  return session;
}

function h2Request(cmd, r) {
  const headers = {':method': cmd.method || 'GET', ':path': cmd.path || '/'};
  for (const [k, v] of cmd.headers || []) {
    const key = k.toLowerCase();
    if (key in headers && !key.startsWith(':')) {
      headers[key] = [].concat(headers[key], String(v));
    } else {
      headers[key] = String(v);
    }
  }
  const body = bodyOf(cmd);
  const stream = h2Session().request(headers, {endStream: body === null});
  r.stream = stream;
  r.body = stream;
  stream.on('response', (h, flags, raw) => {
    r.status = Number(h[':status']);
    r.headers = pairs(raw || []);
    emit({event: 'response', id: r.id, status: r.status, headers: r.headers});
    if (!cmd.paused) startReading(r);
  });
  stream.on('trailers', (h, flags, raw) => { r.trailers = pairs(raw || []); });
  stream.on('end', () => finish(r));
  stream.on('error', (e) => { fail(r.id, e); r.done = true; requests.delete(r.id); maybeExit(); });
  stream.on('close', () => {
    if (!r.done) {
      fail(r.id, {message: `stream closed (rst code ${stream.rstCode})`,
                  code: 'ERR_STREAM_CLOSED'});
      r.done = true;
      requests.delete(r.id);
      maybeExit();
    }
  });
  if (body !== null) stream.end(body);
}

// -- HTTP/1.1 ---------------------------------------------------------------------------------

function h1Request(cmd, r) {
  if (!agent) {
    const A = tls ? https.Agent : http.Agent;
    agent = new A({keepAlive: true, ...(tls ? {ca, servername, ALPNProtocols: ['http/1.1']} : {})});
  }
  // With headers given as a raw list node adds no Host of its own.
  const list = cmd.headers || [];
  const flat = list.some(([k]) => k.toLowerCase() === 'host') ? [] : ['Host', url.host];
  for (const [k, v] of list) flat.push(k, String(v));
  const mod = tls ? https : http;
  const body = bodyOf(cmd);
  const req = mod.request({host: url.hostname, port: url.port, method: cmd.method || 'GET',
                           path: cmd.path || '/', headers: flat, agent,
                           ...(tls ? {ca, servername} : {})});
  req.on('response', (res) => {
    r.status = res.statusCode;
    r.headers = pairs(res.rawHeaders);
    r.body = res;
    emit({event: 'response', id: r.id, status: r.status, headers: r.headers});
    res.on('end', () => { r.trailers = pairs(res.rawTrailers); finish(r); });
    res.on('error', (e) => fail(r.id, e));
    if (!cmd.paused) startReading(r);
  });
  req.on('error', (e) => { fail(r.id, e); r.done = true; requests.delete(r.id); maybeExit(); });
  req.end(body === null ? undefined : body);
}

// -- commands ---------------------------------------------------------------------------------

function maybeExit() {
  if (!closing || requests.size) return;
  const done = () => { emit({event: 'closed'}); process.exit(0); };
  if (session && !session.closed) session.close(done);
  else {
    if (agent) agent.destroy();
    done();
  }
}

function handle(cmd) {
  switch (cmd.op) {
    case 'request': {
      const r = {id: cmd.id, cmd, chunks: [], received: 0, status: null, headers: [],
                 trailers: [], done: false, reading: false, body: null};
      requests.set(cmd.id, r);
      try {
        (cfg.proto === 'h1' ? h1Request : h2Request)(cmd, r);
      } catch (e) {
        fail(cmd.id, e);
        requests.delete(cmd.id);
      }
      break;
    }
    case 'resume': {
      const r = requests.get(cmd.id);
      if (r) {
        r.cmd.paused = false;
        startReading(r);
      }
      break;
    }
    case 'state': {
      const r = requests.get(cmd.id);
      const st = r && r.stream && !r.stream.destroyed ? r.stream.state : {};
      emit({event: 'state', id: cmd.id, seq: cmd.seq ?? null,
            local_window_size: st.localWindowSize ?? null, stream_state: st.state ?? null,
            buffered: r && r.body ? r.body.readableLength : 0, received: r ? r.received : null,
            ended: !r});
      break;
    }
    case 'close':
      closing = true;
      maybeExit();
      break;
    default:
      fail(null, `unknown op ${cmd.op}`);
  }
}

if (cfg.proto !== 'h1') h2Session();  // connect now: "connect" tells the protocol in use

const timer = setTimeout(() => {
  emit({event: 'timeout', pending: [...requests.keys()]});
  process.exit(2);
}, cfg.timeout_ms || 20000);
timer.unref();

const rl = readline.createInterface({input: process.stdin});
rl.on('line', (line) => {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    fail(null, `bad command: ${line}`);
    return;
  }
  handle(cmd);
});
rl.on('close', () => {  // stdin closed: behave like "close"
  closing = true;
  maybeExit();
});
