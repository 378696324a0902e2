// External-client end-to-end test of cardcore's ISO 8583 interface: every message is built and
// parsed by the npm `iso_8583` package (its default packing is the contract's: 2-byte binary
// length header, ASCII MTI, binary bitmap, ASCII LLVAR/LLLVAR lengths, field 52 as 8 bytes from
// 16 hex characters) and sent over TCP to a running server.
//
// Environment (set by tests/iso8583/e2e_node_test.cc, which starts the server and funds a card):
//   ISO_PORT, CARD_PAN, CARD_EXPIRY (YYMM), CARD_PIN, ZPK (hex), CARD_BALANCE_PAISE; ISO_HOST
//   defaults to 127.0.0.1.
// Prints one line per check and "N passed, N failed"; exits 0 only when everything passed.
'use strict';

const net = require('net');
const crypto = require('crypto');
const Iso8583 = require('iso_8583');

const host = process.env.ISO_HOST || '127.0.0.1';
const port = Number(process.env.ISO_PORT);
const pan = process.env.CARD_PAN;
const expiry = process.env.CARD_EXPIRY;
const pin = process.env.CARD_PIN;
const zpkHex = process.env.ZPK;
let balance = Number(process.env.CARD_BALANCE_PAISE);

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) {
    passed++;
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`not ok - ${name}${detail ? ': ' + detail : ''}`);
  }
}

// ISO 9564 format 0 PIN block under the zone PIN key (3DES ECB), as 16 hex characters.
function pinBlockHex(pinDigits, cardNumber) {
  const pinField = ('0' + pinDigits.length.toString(16) + pinDigits).padEnd(16, 'F');
  const panField = '0000' + cardNumber.slice(-13, -1);
  const clear = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) {
    clear[i] = parseInt(pinField.substr(i * 2, 2), 16) ^ parseInt(panField.substr(i * 2, 2), 16);
  }
  const key = Buffer.from(zpkHex, 'hex');
  const cipher = crypto.createCipheriv(key.length === 16 ? 'des-ede-ecb' : 'des-ede3-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(clear), cipher.final()]).toString('hex').toUpperCase();
}

const pad = (n, width) => String(n).padStart(width, '0');
let stanCounter = Math.floor(Math.random() * 900000);
function nextStan() {
  stanCounter = (stanCounter + 1) % 1000000;
  return pad(stanCounter, 6);
}
function transmissionTime() {
  const d = new Date();
  return pad(d.getUTCMonth() + 1, 2) + pad(d.getUTCDate(), 2) + pad(d.getUTCHours(), 2) + pad(d.getUTCMinutes(), 2) +
    pad(d.getUTCSeconds(), 2);
}

function pack(fields) {
  const msg = new Iso8583(fields);
  const valid = msg.validateMessage();
  if (valid !== true) throw new Error('iso_8583 refused the message: ' + JSON.stringify(valid));
  const buf = msg.getBufferMessage();
  if (!Buffer.isBuffer(buf)) throw new Error('iso_8583 could not pack: ' + JSON.stringify(buf));
  return buf;
}

// One TCP connection; answers are matched to requests in order (the server answers in order).
class Connection {
  constructor() {
    this.buffer = Buffer.alloc(0);
    this.waiting = [];
    this.answers = [];
    this.closed = false;
  }
  open() {
    return new Promise((resolve, reject) => {
      this.socket = net.createConnection({ host, port }, resolve);
      this.socket.on('error', reject);
      this.socket.on('data', (chunk) => this.onData(chunk));
      this.socket.on('close', () => {
        this.closed = true;
        for (const w of this.waiting.splice(0)) w.reject(new Error('connection closed'));
      });
    });
  }
  onData(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 2) {
      const len = this.buffer.readUInt16BE(0);
      if (this.buffer.length < 2 + len) break;
      const frame = this.buffer.subarray(0, 2 + len);
      this.buffer = this.buffer.subarray(2 + len);
      const json = new Iso8583().getIsoJSON(frame, {});
      const w = this.waiting.shift();
      if (w) w.resolve(json);
    }
  }
  send(buffers) {
    const list = Array.isArray(buffers) ? buffers : [buffers];
    const promises = list.map(() => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer within 20 s')), 20000);
      this.waiting.push({ resolve: (v) => { clearTimeout(timer); resolve(v); },
                          reject: (e) => { clearTimeout(timer); reject(e); } });
    }));
    this.socket.write(Buffer.concat(list));  // several frames in one write: pipelined
    return Array.isArray(buffers) ? Promise.all(promises) : promises[0];
  }
  close() {
    this.socket.end();
  }
}

function authFields(mti, amountPaise, extra) {
  const stan = nextStan();
  return Object.assign({
    0: mti,
    2: pan,
    3: '000000',
    4: pad(amountPaise, 12),
    7: transmissionTime(),
    11: stan,
    14: expiry,
    18: '5411',
    19: '356',
    22: '051',
    25: '00',
    32: '123456',
    37: 'E2E' + stan + 'NOD',
    41: 'NODE0001',
    42: 'NODEMERCHANT001',
    43: 'Node e2e store          Bengaluru    IN ',
    49: '356',
  }, extra || {});
}

function availableBalance(answer) {
  const f54 = answer['54'] || '';
  if (f54.length !== 20) return NaN;
  const v = Number(f54.slice(8));
  return f54[7] === 'D' ? -v : v;
}

async function main() {
  for (const [k, v] of Object.entries({ ISO_PORT: port, CARD_PAN: pan, CARD_EXPIRY: expiry, CARD_PIN: pin, ZPK: zpkHex })) {
    if (!v) throw new Error(`${k} is not set`);
  }
  const conn = new Connection();
  await conn.open();

  // 0800 echo test.
  const echo = { 0: '0800', 7: transmissionTime(), 11: nextStan(), 70: '301' };
  let a = await conn.send(pack(echo));
  check('0800 -> 0810 approved', a['0'] === '0810' && a['39'] === '00', JSON.stringify(a));
  check('0810 echoes 7, 11, 70', a['7'] === echo['7'] && a['11'] === echo['11'] && a['70'] === '301');

  // 0100 authorization of ₹10 with a PIN block (field 52).
  const auth = authFields('0100', 1000, { 52: pinBlockHex(pin, pan) });
  a = await conn.send(pack(auth));
  check('0100 -> 0110 approved', a['0'] === '0110' && a['39'] === '00', JSON.stringify(a));
  check('0110 carries a 6-character auth code', typeof a['38'] === 'string' && a['38'].length === 6);
  check('0110 echoes 2, 3, 4, 11, 37, 41', ['2', '3', '4', '11', '37', '41'].every((f) => a[f] === auth[f]));
  balance -= 1000;
  check('0110 field 54 shows the available balance', availableBalance(a) === balance, a['54']);

  // A wrong PIN.
  a = await conn.send(pack(authFields('0100', 100, { 52: pinBlockHex(pin === '9999' ? '1111' : '9999', pan) })));
  check('0100 with a wrong PIN -> 55', a['0'] === '0110' && a['39'] === '55', JSON.stringify(a));

  // 0400 reversal of the authorization, naming it through field 90.
  const rev = authFields('0400', 1000, {
    37: auth['37'],
    90: '0100' + auth['11'] + auth['7'] + '0'.repeat(22),
  });
  a = await conn.send(pack(rev));
  balance += 1000;
  check('0400 -> 0410 approved', a['0'] === '0410' && a['39'] === '00', JSON.stringify(a));
  check('0410 shows the hold released', availableBalance(a) === balance, a['54']);

  // 0200 financial request of ₹5.
  a = await conn.send(pack(authFields('0200', 500)));
  balance -= 500;
  check('0200 -> 0210 approved', a['0'] === '0210' && a['39'] === '00', JSON.stringify(a));
  check('0210 shows the new balance', availableBalance(a) === balance, a['54']);

  // More than the card holds.
  a = await conn.send(pack(authFields('0100', balance + 100)));
  check('0100 over the balance -> 51', a['0'] === '0110' && a['39'] === '51', JSON.stringify(a));

  // Pipelined: five 0100 of ₹1 in one write, answered in order.
  const burst = [1, 2, 3, 4, 5].map(() => authFields('0100', 100));
  const answers = await conn.send(burst.map(pack));
  check('5 pipelined 0100 answered in order',
        answers.every((x, i) => x['0'] === '0110' && x['11'] === burst[i]['11'] && x['39'] === '00'),
        JSON.stringify(answers.map((x) => [x['11'], x['39']])));
  // The five are decided at once (they share a commit), so each answer shows the balance left
  // after its own hold in the order they were decided: together, the five steps of ₹1 down.
  const shown = answers.map(availableBalance).sort((x, y) => y - x);
  const expected = [1, 2, 3, 4, 5].map((n) => balance - 100 * n);
  check('the pipelined answers show the balance stepping down by each hold',
        JSON.stringify(shown) === JSON.stringify(expected), JSON.stringify(shown));
  balance -= 500;

  conn.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((e) => {
  console.log(`not ok - ${e.message}`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
