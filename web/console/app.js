// The cardcore operator console (docs/console.md). A page of plain modules: it calls the admin
// API (POST /admin/v1/...) with the session cookie the login set (HttpOnly: this script never
// sees the token) and the CSRF token from the readable cookie in X-CSRF-Token. The admin key is
// sent once, at login, and never kept. Amounts in rupees with Indian digit grouping, times in
// Asia/Kolkata.

const main = document.getElementById('main');
const nav = document.getElementById('nav');

// ------------------------------------------------------------------------------- formatting
const rupees = new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const istTime = new Intl.DateTimeFormat('en-IN', {
  timeZone: 'Asia/Kolkata', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});
const istClock = new Intl.DateTimeFormat('en-IN', { timeZone: 'Asia/Kolkata', hour: '2-digit', minute: '2-digit', hour12: false });
const money = (v) => (v === null || v === undefined || v === '' ? '—' : rupees.format(Number(v)));
const when = (iso) => (iso ? `${istTime.format(new Date(iso))} IST` : '—');
function age(seconds) {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
}

// ------------------------------------------------------------------------------------- DOM
// h('tag', {attr: value, onclick: fn}, ...children): text children are text nodes, never HTML.
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'className') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const panel = (title, ...body) => h('section', { className: 'panel', 'aria-label': title }, h('h2', {}, title), ...body);
const facts = (pairs) => h('dl', { className: 'facts' }, pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
function table(caption, headers, rows, empty = 'None.') {
  if (!rows.length) return h('p', { className: 'muted' }, empty);
  // Focusable and named: a table wider than a phone scrolls, and the keyboard must reach it.
  return h('div', { className: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': `${caption} table` }, h('table', {},
    h('caption', { className: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col', className: x.num ? 'num' : null }, x.label || x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((cell, i) => h('td', { className: headers[i].num ? 'num' : null }, cell)))))));
}
const statusBadge = (s) => h('span', { className: `badge ${s.name}` }, `${s.name} · ${s.label}`);
function show(title, ...content) {
  document.title = `${title} · cardcore console`;
  main.replaceChildren(h('h1', {}, title), ...content);
  main.focus({ preventScroll: true });
}

// ------------------------------------------------------------------------------ the admin API
// Each navigation gets a number: an answer that arrives after a newer navigation began is
// dropped (StaleAnswer), so a slow page never paints over the one the operator went on to.
let navigation = 0;
class StaleAnswer extends Error {}
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)cardcore_csrf=([0-9a-f]+)/);
  return m ? m[1] : '';
}
async function api(path, body = {}) {
  const asked = navigation;
  const res = await fetch(`/admin/v1/${path}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken() },
    body: JSON.stringify(body),
  });
  if (asked !== navigation) throw new StaleAnswer();
  let json = null;
  try {
    json = await res.json();
  } catch {
    throw new ApiError(res.status, 0, `the server answered ${res.status} without JSON`);
  }
  if (!res.ok || json.code !== 0) throw new ApiError(res.status, json.code, json.message || `HTTP ${res.status}`);
  return json.payload;
}

// ------------------------------------------------------------------------------ confirmation
// Opens the dialog: `fields` are [{name, label, type}] (a reason, an amount...). Resolves with
// the values after `run(values)` succeeded; stays open and shows the error when it fails.
const dialog = document.getElementById('confirm');
function confirmAction({ title, text, fields = [], danger = false, run }) {
  return new Promise((resolve) => {
    document.getElementById('confirm-title').textContent = title;
    document.getElementById('confirm-text').textContent = text;
    const errorBox = document.getElementById('confirm-error');
    errorBox.textContent = '';
    const okButton = document.getElementById('confirm-ok');
    okButton.className = danger ? 'danger' : 'primary';
    okButton.textContent = title;
    const box = document.getElementById('confirm-fields');
    box.replaceChildren(...fields.map((f) => h('p', {},
      h('label', { for: `confirm-${f.name}` }, f.label),
      f.type === 'textarea'
        ? h('textarea', { id: `confirm-${f.name}`, name: f.name, required: true, maxlength: 256 })
        : f.type === 'select'
          ? h('select', { id: `confirm-${f.name}`, name: f.name }, f.options.map((o) => h('option', { value: o }, o)))
          : h('input', { id: `confirm-${f.name}`, name: f.name, type: f.type || 'text', required: true, inputmode: f.inputmode }))));
    const form = document.getElementById('confirm-form');
    const cancel = document.getElementById('confirm-cancel');
    // Every way out (confirmed, Cancel, Escape) drops this call's listeners, so a dialog closed
    // without confirming can never run its action later.
    const listeners = new AbortController();
    let result = null;
    const close = (value) => {
      result = value;
      dialog.close();
    };
    dialog.addEventListener('close', () => {
      listeners.abort();
      resolve(result);
    }, { signal: listeners.signal });
    async function submit(ev) {
      ev.preventDefault();
      const values = Object.fromEntries(fields.map((f) => [f.name, form.elements[f.name].value.trim()]));
      const missing = fields.find((f) => !values[f.name]);
      if (missing) {
        errorBox.textContent = `${missing.label}: required`;
        return;
      }
      okButton.disabled = true;
      try {
        const answer = await run(values);
        if (!listeners.signal.aborted) close(answer);
      } catch (e) {
        errorBox.textContent = e.message;
      } finally {
        okButton.disabled = false;
      }
    }
    // While the action runs, Escape does not close the dialog: its answer is awaited.
    dialog.addEventListener('cancel', (ev) => {
      if (okButton.disabled) ev.preventDefault();
    }, { signal: listeners.signal });
    form.addEventListener('submit', submit, { signal: listeners.signal });
    cancel.addEventListener('click', () => close(null), { signal: listeners.signal });
    dialog.showModal();
    (box.querySelector('input, textarea, select') || okButton).focus();
  });
}

// ------------------------------------------------------------------------------------ views
function loginView(message) {
  nav.hidden = true;
  const error = h('p', { className: 'error', role: 'alert', id: 'login-error' }, message || '');
  const key = h('input', { id: 'admin-key', name: 'adminKey', type: 'password', autocomplete: 'off', required: true });
  const form = h('form', { className: 'panel login', 'aria-label': 'Log in' },
    h('h2', {}, 'Log in'),
    h('p', {}, h('label', { for: 'admin-key' }, 'Admin key'), key),
    h('div', { className: 'actions' }, h('button', { type: 'submit', className: 'primary' }, 'Log in')),
    error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    try {
      await api('session', { adminKey: key.value });
      key.value = '';
      if (!location.hash || location.hash === '#/login') location.hash = '#/search';
      else route();
    } catch (e) {
      key.value = '';
      error.textContent = e.status === 401 ? 'That admin key is not right.' : e.message;
    }
  });
  show('Operator console', form);
  key.focus();
}

function cardRows(cards) {
  return cards.map((c) => [
    h('a', { href: `#/card/${encodeURIComponent(c.enKashCardId)}` }, c.enKashCardId),
    c.cardHolderName || '—',
    c.maskedNumber,
    statusBadge(c.cardStatus),
    money(c.availableBalance),
    h('a', { href: `#/account/${encodeURIComponent(c.cardAccountId)}` }, c.cardAccountId),
  ]);
}
const cardHeaders = ['Card', 'Holder', 'Number', 'Status', { label: 'Available', num: true }, 'Account'];

// 13 to 19 digits (spaces and dashes aside) that pass the Luhn check: a card number, never
// searched. A 12-digit RRN or a bank reference is.
function looksLikeCardNumber(text) {
  if (!/^[\d -]+$/.test(text)) return false;
  const d = text.replace(/[ -]/g, '');
  if (d.length < 13 || d.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let n = Number(d[d.length - 1 - i]);
    if (i % 2 === 1) n = n * 2 > 9 ? n * 2 - 9 : n * 2;
    sum += n;
  }
  return sum % 10 === 0;
}

async function searchView(params) {
  const q = params.get('q') || '';
  const by = params.get('by') || 'ANY';
  const after = params.get('after') || '';
  const input = h('input', { id: 'search-q', name: 'q', type: 'search', value: q, required: true, size: 28 });
  const select = h('select', { id: 'search-by', name: 'by' },
    [['ANY', 'Anything'], ['LAST4', 'Last 4 digits'], ['MOBILE', 'Mobile'], ['CARD', 'Card id'], ['ACCOUNT', 'Card account'],
      ['COMPANY', 'Company'], ['REFERENCE', 'Transaction reference']].map(([v, t]) => h('option', { value: v, selected: v === by }, t)));
  const form = h('form', { className: 'inline', role: 'search' },
    h('div', {}, h('label', { for: 'search-q' }, 'Search cards'), input),
    h('div', {}, h('label', { for: 'search-by' }, 'By'), select),
    h('button', { type: 'submit', className: 'primary' }, 'Search'));
  const formError = h('p', { className: 'error', role: 'alert' });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const query = input.value.trim();
    // A card number never goes into the URL (nor to the server): only its last 4 digits.
    if (looksLikeCardNumber(query)) {
      formError.textContent = 'Search by the last 4 digits of the card number, never the whole number.';
      return;
    }
    location.hash = `#/search?${new URLSearchParams({ q: query, by: select.value })}`;
  });
  const results = h('div', { 'aria-live': 'polite', id: 'search-results' });
  show('Find a card', panel('Search', form, formError, h('p', { className: 'muted' },
    'By the last 4 digits of the card number, the holder\'s mobile, a card, account or company id, a company name, or a transaction reference.')), results);
  if (!q) return;
  const page = await api('search', { query: q, by, after, limit: 20 });
  const pager = h('div', { className: 'pager' },
    after ? h('a', { href: `#/search?${new URLSearchParams({ q, by })}` }, 'First page') : null,
    page.next ? h('a', { href: `#/search?${new URLSearchParams({ q, by, after: page.next })}` }, 'Next page') : null);
  results.replaceChildren(panel(`Results for “${q}”`,
    table('Cards found', cardHeaders, cardRows(page.cards), 'No card matches.'), pager));
}

function transactionRows(list) {
  return list.map((t) => {
    const declined = t.status === 'DECLINED';
    return [
      when(t.txnDate),
      t.type,
      t.pgReferenceNumber,
      h('span', { className: declined ? 'declined' : t.status === 'APPROVED' ? 'approved' : null }, t.status),
      t.responseCode ? `${t.responseCode} · ${t.responseMeaning || ''}` : '—',
      declined ? t.description.replace(/^.* declined: /, '') : t.description,
      `${t.cardTransactionType === 'CR' ? '+' : '−'}${money(t.principalAmount)}`,
    ];
  });
}

async function cardView(cardId, params) {
  const offset = Number(params.get('offset') || 0);
  const [d, txns] = await Promise.all([
    api('cards/detail', { enKashCardId: cardId }),
    api('cards/transactions', { enKashCardId: cardId, offset, limit: 20 }),
  ]);
  const c = d.card;
  const reload = () => route();
  const statusAction = (label, status, danger, text) => h('button', {
    type: 'button', className: danger ? 'danger' : null,
    onclick: () => confirmAction({
      title: label, danger, text, fields: [{ name: 'reason', label: 'Reason', type: 'textarea' }],
      run: (v) => api('cards/status', { enKashCardId: cardId, status, reason: v.reason }),
    }).then((r) => r && reload()),
  }, label);
  const actions = h('div', { className: 'actions' },
    c.cardStatus.name === 'UL' ? statusAction('Lock card', 'L', false, `Lock card ${cardId}? Authorizations are declined (62) until it is unlocked.`) : null,
    c.cardStatus.name === 'L' || c.cardStatus.name === 'AP' ? statusAction('Unlock card', 'UL', false, `Unlock card ${cardId}?`) : null,
    c.cardStatus.name !== 'BL' ? statusAction('Block permanently', 'BL', true, `Block card ${cardId} for good? This cannot be undone.`) : null,
    c.pinLocked ? h('button', {
      type: 'button',
      onclick: () => confirmAction({
        title: 'Unlock PIN', text: `Clear the ${c.wrongPinCount} wrong PIN tries of card ${cardId}?`,
        fields: [{ name: 'reason', label: 'Reason', type: 'textarea' }],
        run: (v) => api('cards/pin/unlock', { enKashCardId: cardId, reason: v.reason }),
      }).then((r) => r && reload()),
    }, 'Unlock PIN') : null);

  const used = d.used;
  const u = d.usageControls;
  const limit = (v) => (v === null ? 'no limit' : money(v));
  const order = d.physicalOrder;
  const nextStatuses = { ORDERED: ['DISPATCHED', 'RETURNED'], DISPATCHED: ['DELIVERED', 'RETURNED'] }[order?.shippingStatus] || [];
  const pages = h('div', { className: 'pager' },
    offset > 0 ? h('a', { href: `#/card/${encodeURIComponent(cardId)}?offset=${Math.max(0, offset - 20)}` }, 'Newer') : null,
    txns.totalCapped || offset + txns.transactions.length < txns.total ? h('a', { href: `#/card/${encodeURIComponent(cardId)}?offset=${offset + 20}` }, 'Older') : null,
    h('span', { className: 'muted' }, `${txns.total}${txns.totalCapped ? '+' : ''} transactions`));

  show(`Card ${cardId}`,
    h('div', { className: 'grid' },
      panel('Status', h('p', { id: 'card-status' }, statusBadge(c.cardStatus)),
        c.pinLocked ? h('p', { className: 'declined' }, `PIN locked after ${c.wrongPinCount} wrong tries`) : null, actions),
      panel('Holder and card', facts([
        ['Holder', c.cardHolderName || '—'], ['Mobile', c.mobile || '—'], ['Number', c.maskedNumber],
        ['Expiry', `${c.expiryMonth}/${c.expiryYear}`], ['Type', c.gift ? `${c.cardType}, gift` : c.cardType],
        ['KYC', c.gift ? 'gift card rules' : c.kycLevel === 'FULL' ? 'FULL (complete KYC)' : 'MIN (small PPI limits)'], ['Issued', when(c.createdOn)],
        ['Account', h('a', { href: `#/account/${encodeURIComponent(c.cardAccountId)}` }, c.cardAccountId)],
        ['Company', h('a', { href: `#/company/${encodeURIComponent(c.companyId)}` }, `${d.account.companyName} (${c.companyId})`)],
      ])),
      panel('Balance', facts([['Balance', money(c.balance)], ['Held', money(c.heldAmount)], ['Available', h('strong', {}, money(c.availableBalance))]]))),
    panel('Open authorizations', table('Open authorizations',
      ['Authorization', 'Merchant', 'Channel', { label: 'Held', num: true }, 'Since', 'Age'],
      d.openAuthorizations.map((a) => [a.authorizationId, `${a.merchantName || '—'} (MCC ${a.mcc || '—'})`, a.channel, money(a.heldAmount), when(a.createdOn), age(a.ageSeconds)]),
      'No open authorization.')),
    panel('Usage controls and limits used',
      h('p', {}, `POS ${u.posAllowed ? 'on' : 'off'} · Online ${u.onlineAllowed ? 'on' : 'off'} · ATM ${u.atmAllowed ? 'on' : 'off'} · International ${u.internationalAllowed ? 'on' : 'off'} · Contactless ${u.contactlessAllowed ? 'on' : 'off'}`),
      table('Limits used', ['Window', { label: 'Used', num: true }, { label: 'Count', num: true }, { label: 'Limit', num: true }, { label: 'Count limit', num: true }], [
        ['Today', money(used.today.amount), used.today.count, limit(u.dtd), u.dtdCount ?? 'no limit'],
        ['This month', money(used.thisMonth.amount), used.thisMonth.count, limit(u.mtd), u.mtdCount ?? 'no limit'],
        ['This year', money(used.thisYear.amount), used.thisYear.count, limit(u.ytd), u.ytdCount ?? 'no limit'],
      ]),
      h('p', { className: 'muted' }, `Per transaction: ${limit(u.perTxnLimit)}`)),
    panel('Transactions', table('Transactions',
      ['When', 'Type', 'Reference', 'Status', 'Response', 'Reason', { label: 'Amount', num: true }],
      transactionRows(txns.transactions), 'No transactions yet.'), pages),
    panel('Status history', table('Status history', ['When', 'From', 'To', 'Reason', 'Channel', 'Who'],
      d.statusChanges.slice().reverse().map((s) => [when(s.at), s.from || '(issued)', s.to, s.reason || '—', s.channel, s.actor]))),
    panel('Physical card', order ? [facts([
      ['Order', order.orderId], ['Shipping status', h('strong', { id: 'shipping-status' }, order.shippingStatus)],
      ['Address', [order.deliveryAddress, order.deliveryAddress2, order.deliveryCity, order.deliveryState, order.deliveryPincode].filter(Boolean).join(', ')],
      ['Updated', when(order.modifiedOn)]]),
    nextStatuses.length ? h('div', { className: 'actions' }, h('button', {
      type: 'button',
      onclick: () => confirmAction({
        title: 'Advance shipping', text: `Move order ${order.orderId} on from ${order.shippingStatus}.`,
        fields: [{ name: 'status', label: 'New status', type: 'select', options: nextStatuses }, { name: 'reason', label: 'Reason', type: 'textarea' }],
        run: (v) => api('physicalOrders/status', { orderId: order.orderId, status: v.status, reason: v.reason }),
      }).then((r) => r && reload()),
    }, 'Advance shipping')) : null] : h('p', { className: 'muted' }, 'No physical card ordered.')),
    panel('Webhook deliveries', table('Webhook deliveries', ['When', 'Event', 'State', { label: 'Attempts', num: true }, 'Last error'],
      d.webhookDeliveries.map((e) => [when(e.createdOn), e.type, e.state, e.attempts, e.lastError || '—']),
      'No webhook events for this card (or the partner has no webhook URL).')));
}

async function companiesView(params) {
  const after = params.get('after') || '';
  const page = await api('companies/list', { after, limit: 50 });
  show('Companies', panel('Companies', table('Companies', ['Company', 'Name', 'Partner', 'Created'],
    page.companies.map((c) => [h('a', { href: `#/company/${encodeURIComponent(c.companyId)}` }, c.companyId), c.companyName, c.partnerId, when(c.createdOn)]),
    'No companies yet.'),
  h('div', { className: 'pager' }, after ? h('a', { href: '#/companies' }, 'First page') : null,
    page.next ? h('a', { href: `#/companies?after=${encodeURIComponent(page.next)}` }, 'Next page') : null)));
}

async function companyView(companyId) {
  const d = await api('companies/detail', { companyId, limit: 100 });
  show(`Company ${d.companyName}`,
    panel('Company', facts([['Company', d.companyId], ['Partner', `${d.partnerName} (${d.partnerId})`], ['Created', when(d.createdOn)]])),
    panel('Card accounts', table('Card accounts', ['Account', 'Title', 'Type', { label: 'Funding pool', num: true }, { label: 'Cards', num: true }],
      d.cardAccounts.map((a) => [h('a', { href: `#/account/${encodeURIComponent(a.cardAccountId)}` }, a.cardAccountId), a.accountTitle, a.accountType, money(a.poolBalance), a.cards]),
      'No card accounts yet.')));
}

async function accountView(accountId) {
  const d = await api('cardAccounts/detail', { cardAccountId: accountId, limit: 100 });
  const a = d.cardAccount;
  const fund = h('button', {
    type: 'button', className: 'primary',
    onclick: () => confirmAction({
      title: 'Fund account', text: `Credit the funding pool of ${accountId} with money received from ${a.companyName}.`,
      fields: [{ name: 'amount', label: 'Amount in rupees', inputmode: 'decimal' }, { name: 'reference', label: 'Reference' }],
      run: (v) => api('cardAccounts/fund', { companyId: a.companyId, cardAccountId: accountId, amount: v.amount, reference: v.reference }),
    }).then((r) => r && route()),
  }, 'Fund account');
  show(`Card account ${accountId}`,
    h('div', { className: 'grid' },
      panel('Funding pool', h('p', {}, h('strong', { id: 'pool-balance' }, money(a.poolBalance))), h('div', { className: 'actions' }, fund)),
      panel('Account', facts([['Title', a.accountTitle], ['Type', a.accountType],
        ['Company', h('a', { href: `#/company/${encodeURIComponent(a.companyId)}` }, `${a.companyName} (${a.companyId})`)],
        ['Cards', a.cards], ['Created', when(a.createdOn)]]))),
    panel('Cards', table('Cards', cardHeaders, cardRows(d.cards), 'No cards yet.'),
      d.cards.length < a.cards ? h('p', {}, `The first ${d.cards.length} of ${a.cards} cards. `,
        h('a', { href: `#/search?${new URLSearchParams({ q: accountId, by: 'ACCOUNT' })}` }, 'All of them, page by page')) : null));
}

let charts = [];
const palette = ['#1b6e2f', '#a4161a', '#0b5cad', '#8a5a00', '#6f42c1', '#b5179e', '#2b7a78', '#5c677d', '#d9480f', '#364fc7'];
function decisionChart(title, range, meanings) {
  const labels = Array.from({ length: range.buckets }, (_, i) => istClock.format(new Date((range.from + i * range.bucketSeconds) * 1000)));
  const codes = [...new Set(range.counts.map((c) => c.responseCode))].sort();
  // Approvals green, each decline code a colour of its own from the rest of the palette.
  const declines = codes.filter((code) => code !== '00');
  const datasets = codes.map((code) => {
    const data = new Array(range.buckets).fill(0);
    for (const c of range.counts) if (c.responseCode === code) data[c.bucket] += c.count;
    const colour = code === '00' ? palette[0] : palette[(declines.indexOf(code) % (palette.length - 1)) + 1];
    return { label: `${code} ${meanings[code] || ''}`.trim(), data, backgroundColor: colour, stack: 'decisions' };
  });
  const totals = codes.map((code) => [code, meanings[code] || '', range.counts.filter((c) => c.responseCode === code).reduce((n, c) => n + c.count, 0)]);
  const canvas = h('canvas', { role: 'img', 'aria-label': `${title}: ${totals.map(([c, m, n]) => `${c} ${m}: ${n}`).join('; ') || 'no decisions'}` });
  const box = panel(title, h('div', { className: 'chart-box' }, canvas),
    table(`${title} per response code`, ['Response code', 'Meaning', { label: 'Decisions', num: true }], totals, 'No decisions in this range.'));
  box.dataset.range = title;
  queueMicrotask(() => {
    charts.push(new window.Chart(canvas, {
      type: 'bar',
      data: { labels, datasets },
      options: { maintainAspectRatio: false, animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    }));
  });
  return box;
}

async function activityView() {
  const a = await api('activity', {});
  const w = a.webhooks;
  show('Activity',
    h('div', { className: 'grid' },
      decisionChart('Authorizations, last hour', a.lastHour, a.responseCodes),
      decisionChart('Authorizations, last day', a.lastDay, a.responseCodes)),
    panel('Webhooks', facts([['Waiting', w.pending], ['Failing, retrying', w.retrying], ['Given up', w.failed]]),
      table('Webhook failures', ['When', 'Event', 'Partner', 'Card', 'State', { label: 'Attempts', num: true }, 'Last error'],
        w.problems.map((e) => [when(e.createdOn), e.type, e.partnerId, e.enKashCardId ? h('a', { href: `#/card/${encodeURIComponent(e.enKashCardId)}` }, e.enKashCardId) : '—', e.state, e.attempts, e.lastError || '—']),
        'No failing webhook deliveries.')));
}

// ------------------------------------------------------------------------------------ router
async function route() {
  navigation += 1;
  for (const c of charts) c.destroy();
  charts = [];
  const hash = location.hash.replace(/^#/, '') || '/search';
  const [path, query] = hash.split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  // No CSRF cookie: no session (its cookies expire with it). A session ended elsewhere shows as
  // the first call's 401.
  if (!csrfToken()) return loginView('');
  nav.hidden = false;
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === `#/${parts[0]}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  try {
    if (parts[0] === 'card' && parts[1]) await cardView(parts[1], params);
    else if (parts[0] === 'companies') await companiesView(params);
    else if (parts[0] === 'company' && parts[1]) await companyView(parts[1]);
    else if (parts[0] === 'account' && parts[1]) await accountView(parts[1]);
    else if (parts[0] === 'activity') await activityView();
    else await searchView(params);
  } catch (e) {
    if (e instanceof StaleAnswer) return;
    if (e.status === 401) return loginView(e.message.includes('expired') ? 'Your session ended. Log in again.' : '');
    show('Something went wrong', h('p', { className: 'error', role: 'alert' }, e.message));
  }
}

document.getElementById('logout').addEventListener('click', async () => {
  try {
    await api('session/logout', {});
  } catch {
    // ended already
  }
  loginView('You are logged out.');
});
window.addEventListener('hashchange', route);
route();
