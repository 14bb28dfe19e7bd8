// The subscriber portal: a plain script over the public API. Every call carries the signed-in user's bearer token; the API
// decides what the user may see and do, the portal only shows it.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = 'altinn-events-portal.token';
  const OIDC_KEY = 'altinn-events-portal.oidc';
  const OUTCOMES = [
    ['delivered', 'Delivered', '#067647'],
    ['retry', 'Retry', '#9a6700'],
    ['failed', 'Failed', '#b42318'],
    ['gone', 'Gone', '#6941c6'],
    ['gaveUp', 'Gave up', '#475467'],
  ];

  let config = null;
  let api = '/events/api/v1';
  let subscriptions = [];
  let selected = null;
  let logNext = null;
  let watchLogUntil = 0;
  let timer = null;

  // ---- talking to the API ----

  function token() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || 'null');
      return saved && Date.parse(saved.expiresAt) > Date.now() ? saved.accessToken : null;
    } catch { return null; }
  }

  class ApiError extends Error {
    constructor(status, problem) {
      super(problem.detail || problem.title || `The API answered ${status}.`);
      this.status = status;
      this.problem = problem;
    }
  }

  async function call(method, path, body, absolute) {
    const headers = { Accept: 'application/json, application/problem+json' };
    const t = token();
    if (t) headers.Authorization = `Bearer ${t}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(absolute ? path : api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, { title: 'The API could not be reached', detail: 'Check your connection and try again.' });
    }
    const text = await response.text();
    let json = null;
    if (text && (response.headers.get('Content-Type') || '').includes('json')) {
      try { json = JSON.parse(text); } catch { json = null; }
    }
    if (!response.ok) {
      if (response.status === 401) signOut('Your sign-in has expired or was not accepted. Sign in again.');
      const fallback = { 404: 'Not found', 405: 'Not supported by this API', 429: 'Too many requests: wait a moment and try again' }[response.status];
      throw new ApiError(response.status, json && (json.title || json.detail) ? json : { title: fallback || `The API answered ${response.status}` });
    }
    return json;
  }

  // ---- messages ----

  function say(text) { $('status').textContent = text; }

  function clearError() {
    const box = $('error');
    box.hidden = true;
    box.textContent = '';
    document.querySelectorAll('.field-error').forEach((p) => { p.textContent = ''; });
    document.querySelectorAll('[aria-invalid]').forEach((i) => i.removeAttribute('aria-invalid'));
  }

  // A problem in words: its title and detail, each field's message next to its field (prefix names the form's ids),
  // the messages of fields the form does not have listed under the title.
  function showError(error, prefix) {
    say('');
    const box = $('error');
    box.textContent = '';
    const problem = error instanceof ApiError ? error.problem : { title: 'Something went wrong', detail: String(error && error.message || error) };
    const heading = document.createElement('strong');
    heading.textContent = problem.title || 'The request failed';
    box.appendChild(heading);
    if (problem.detail && problem.detail !== problem.title) box.appendChild(document.createTextNode(`: ${problem.detail}`));
    const others = [];
    let first = null;
    for (const [field, messages] of Object.entries(problem.errors || {})) {
      const name = field.charAt(0).toLowerCase() + field.slice(1);
      const input = prefix !== undefined ? $(prefix + name) : null;
      const slot = prefix !== undefined ? $(`${prefix}${name}-error`) : null;
      const text = [].concat(messages).join(' ');
      if (input && slot) {
        slot.textContent = text;
        input.setAttribute('aria-invalid', 'true');
        first = first || input;
      } else {
        others.push(text);
      }
    }
    if (others.length) {
      const list = document.createElement('ul');
      for (const text of others) { const li = document.createElement('li'); li.textContent = text; list.appendChild(li); }
      box.appendChild(list);
    }
    box.hidden = false;
    if (first) first.focus();
  }

  async function attempt(action, prefix) {
    clearError();
    try { return await action(); } catch (e) { showError(e, prefix); return undefined; }
  }

  // ---- sign-in ----

  function signOut(reason) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('app').hidden = true;
    $('who').hidden = true;
    selected = null;
    showSignIn();
    if (reason) say(reason);
  }

  function showSignIn() {
    $('sign-in').hidden = false;
    $('dev-sign-in').hidden = !config.devSignIn;
    $('oidc-sign-in').hidden = !config.oidc;
    $('no-sign-in').hidden = !!(config.devSignIn || config.oidc);
    const select = $('dev-identity');
    if (config.devSignIn && !select.options.length) {
      for (const identity of config.devIdentities) {
        const option = document.createElement('option');
        option.value = identity.id;
        option.textContent = identity.label;
        select.appendChild(option);
      }
    }
  }

  async function devSignIn(event) {
    event.preventDefault();
    await attempt(async () => {
      const minted = await call('POST', '/portal/dev/token', { identity: $('dev-identity').value }, true);
      sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ accessToken: minted.accessToken, expiresAt: minted.expiresAt }));
      await signedIn();
    });
  }

  const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const random = (n) => base64url(crypto.getRandomValues(new Uint8Array(n)));
  const redirectUri = () => `${location.origin}${location.pathname.replace(/[^/]*$/, '')}`;

  async function discovery() {
    const response = await fetch(`${config.oidc.authority}/.well-known/openid-configuration`);
    if (!response.ok) throw new ApiError(0, { title: 'The identity provider could not be reached', detail: `Its metadata answered ${response.status}.` });
    return response.json();
  }

  // Authorization code with PKCE (S256): the verifier stays in this tab's session storage; the code is exchanged for the
  // token by the browser itself (a public client: no secret in the page).
  async function oidcSignIn() {
    await attempt(async () => {
      const metadata = await discovery();
      const verifier = random(32);
      const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
      const state = random(16);
      const nonce = random(16);
      sessionStorage.setItem(OIDC_KEY, JSON.stringify({ verifier, state, nonce }));
      const query = new URLSearchParams({
        response_type: 'code', client_id: config.oidc.clientId, redirect_uri: redirectUri(), scope: config.oidc.scope,
        code_challenge: challenge, code_challenge_method: 'S256', state, nonce,
      });
      if (config.oidc.resource) query.set('resource', config.oidc.resource);
      location.assign(`${metadata.authorization_endpoint}?${query}`);
    });
  }

  async function completeOidc(params) {
    const saved = JSON.parse(sessionStorage.getItem(OIDC_KEY) || 'null');
    sessionStorage.removeItem(OIDC_KEY);
    history.replaceState(null, '', redirectUri());
    if (params.get('error')) throw new ApiError(0, { title: 'Sign-in was not completed', detail: params.get('error_description') || params.get('error') });
    if (!saved || saved.state !== params.get('state')) throw new ApiError(0, { title: 'Sign-in was not completed', detail: 'The answer from the identity provider does not belong to this sign-in; start again.' });
    const metadata = await discovery();
    const form = new URLSearchParams({ grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri(), client_id: config.oidc.clientId, code_verifier: saved.verifier });
    const response = await fetch(metadata.token_endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok || !answer.access_token) throw new ApiError(0, { title: 'Sign-in was not completed', detail: answer.error_description || answer.error || `The token endpoint answered ${response.status}.` });
    const expiresAt = new Date(Date.now() + (answer.expires_in || 300) * 1000).toISOString();
    sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ accessToken: answer.access_token, expiresAt }));
  }

  async function signedIn() {
    const me = await call('GET', '/whoami');
    $('who-text').textContent = `Signed in as ${me.consumer}`;
    $('who').hidden = false;
    $('sign-in').hidden = true;
    $('app').hidden = false;
    say(`Signed in as ${me.consumer}.`);
    await loadSubscriptions();
    schedule();
  }

  // ---- subscriptions ----

  function badge(text, kind) {
    const span = document.createElement('span');
    span.className = `badge ${kind}`;
    span.textContent = text;
    return span;
  }

  const validationBadge = (s) => s.enabled === false ? badge('paused', 'warn')
    : s.validationStatus === 'validated' ? badge('validated', 'good')
    : s.validationStatus === 'pending' ? badge('pending', 'warn')
    : badge(s.disabledAt ? 'disabled' : s.validationStatus, 'bad');

  const healthBadge = (h) => !h || h.state === 'healthy' ? badge('healthy', 'good') : badge(h.state, h.state === 'open' ? 'bad' : 'warn');

  async function loadSubscriptions() {
    const list = await call('GET', '/subscriptions');
    subscriptions = await Promise.all(list.subscriptions.map((s) => call('GET', `/subscriptions/${s.id}`).catch(() => s)));
    renderSubscriptions();
    if (selected) {
      const fresh = subscriptions.find((s) => s.id === selected.id);
      if (fresh) { selected = fresh; renderDetail(); } else closeDetail();
    }
  }

  function cell(row, label, content, className) {
    const td = document.createElement('td');
    td.dataset.label = label;
    if (className) td.className = className;
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    row.appendChild(td);
    return td;
  }

  function renderSubscriptions() {
    const table = $('subscriptions');
    const body = table.querySelector('tbody');
    body.textContent = '';
    for (const s of subscriptions) {
      const row = document.createElement('tr');
      row.dataset.id = s.id;
      cell(row, 'Endpoint', s.endPoint, 'url');
      cell(row, 'Resource', s.resourceFilter, 'wrap');
      cell(row, 'Validation', validationBadge(s));
      cell(row, 'Endpoint health', healthBadge(s.endpointHealth));
      cell(row, 'Waiting', String(s.endpointHealth ? s.endpointHealth.waitingDeliveries : 0));
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'link';
      open.textContent = 'Manage';
      open.setAttribute('aria-label', `Manage the subscription to ${s.endPoint}`);
      open.addEventListener('click', () => openDetail(s.id));
      cell(row, 'Actions', open);
      body.appendChild(row);
    }
    table.hidden = subscriptions.length === 0;
    $('empty').hidden = subscriptions.length !== 0;
  }

  const typeFilterOf = (text) => {
    if (!text) return undefined;
    const types = text.split(',').map((t) => t.trim()).filter(Boolean);
    return types.length === 1 ? types[0] : types;
  };

  async function create(event) {
    event.preventDefault();
    const form = $('create-form');
    const value = (name) => form.elements[name].value.trim() || undefined;
    const body = {
      endPoint: value('endPoint'), resourceFilter: value('resourceFilter'), sourceFilter: value('sourceFilter'), subjectFilter: value('subjectFilter'),
      alternativeSubjectFilter: value('alternativeSubjectFilter'), typeFilter: typeFilterOf(value('typeFilter')), includeSubunits: form.elements.includeSubunits.checked || undefined,
    };
    await attempt(async () => {
      const created = await call('POST', '/subscriptions', body);
      form.reset();
      await loadSubscriptions();
      await openDetail(created.id);
      if (created.secret) showSecret(created.secret);
      say('Subscription created. It receives events once its endpoint has answered the validation event.');
    }, '');
  }

  // ---- one subscription ----

  function fact(list, term, value) {
    if (value === undefined || value === null || value === '') return;
    const dt = document.createElement('dt'); dt.textContent = term;
    const dd = document.createElement('dd');
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = value;
    list.append(dt, dd);
  }

  const when = (iso) => iso ? new Date(iso).toLocaleString() : '';

  function renderDetail() {
    const s = selected;
    $('detail-title').textContent = `Subscription to ${s.endPoint}`;
    const list = $('detail-facts');
    list.textContent = '';
    fact(list, 'Id', s.id);
    fact(list, 'Endpoint', s.endPoint);
    fact(list, 'Resource filter', s.resourceFilter);
    fact(list, 'Source filter', s.sourceFilter);
    fact(list, 'Subject filter', s.subjectFilter);
    fact(list, 'Alternative subject filter', s.alternativeSubjectFilter);
    fact(list, 'Type filter', Array.isArray(s.typeFilter) ? s.typeFilter.join(', ') : s.typeFilter);
    fact(list, 'Include subunits', s.includeSubunits ? 'yes' : 'no');
    fact(list, 'Content mode', s.contentMode);
    fact(list, 'Validation', validationBadge(s));
    fact(list, 'Validated at', when(s.validatedAt));
    fact(list, 'Last validation error', s.lastValidationError);
    fact(list, 'Disabled', s.disabledReason ? `${when(s.disabledAt)}: ${s.disabledReason}` : undefined);
    const h = s.endpointHealth;
    fact(list, 'Endpoint health', healthBadge(h));
    if (h) {
      fact(list, 'Failures in a row', String(h.consecutiveFailures));
      fact(list, 'Last error', h.lastError);
      fact(list, 'Next probe', when(h.nextProbeAt));
    }
    fact(list, 'Waiting deliveries', String(h ? h.waitingDeliveries : 0));
    fact(list, 'Created', when(s.created));
    const paused = s.enabled === false;
    $('pause').hidden = paused;
    $('resume').hidden = !paused;
  }

  async function openDetail(id) {
    selected = subscriptions.find((s) => s.id === id) || await call('GET', `/subscriptions/${id}`);
    $('detail').hidden = false;
    $('secret-box').hidden = true;
    $('edit-form').hidden = true;
    renderDetail();
    await Promise.all([loadLog(true), loadChart()]);
    $('detail-title').setAttribute('tabindex', '-1');
    $('detail-title').focus();
  }

  function closeDetail() {
    selected = null;
    $('detail').hidden = true;
  }

  function showSecret(secret) {
    $('secret-value').value = secret;
    $('secret-box').hidden = false;
    $('secret-value').focus();
    $('secret-value').select();
  }

  async function copySecret() {
    const input = $('secret-value');
    try {
      await navigator.clipboard.writeText(input.value);
      say('The secret was copied to the clipboard.');
    } catch {
      input.focus();
      input.select();
      say('Copying was not allowed: the secret is selected, copy it with Ctrl+C.');
    }
  }

  const actions = {
    async 'send-test'() {
      const sent = await call('POST', `/subscriptions/${selected.id}/test-event`);
      say(`Test event ${sent.eventId} queued; its push appears in the delivery log.`);
      watchLogUntil = Date.now() + 20000;
    },
    async pause() { await patch({ enabled: false }); say('Subscription paused: deliveries wait until you resume it.'); },
    async resume() { await patch({ enabled: true }); say('Subscription resumed: waiting deliveries flow again, oldest first.'); },
    async revalidate() {
      await call('POST', `/subscriptions/${selected.id}/validate`);
      await loadSubscriptions();
      say('Validation started again: the endpoint is sent the validation event.');
    },
    async rotate() {
      const rotated = await call('POST', `/subscriptions/${selected.id}/secret`);
      showSecret(rotated.secret);
      say('New secret created; pushes are signed with it from now on.');
    },
    async delete() {
      if (!confirm(`Delete the subscription to ${selected.endPoint}? It receives no more events.`)) return;
      await call('DELETE', `/subscriptions/${selected.id}`);
      closeDetail();
      await loadSubscriptions();
      say('Subscription deleted.');
    },
    edit() {
      const form = $('edit-form');
      form.elements.endPoint.value = selected.endPoint || '';
      form.elements.typeFilter.value = typesOf(selected).join(', ');
      form.elements.contentMode.value = selected.contentMode === 'binary' ? 'binary' : 'structured';
      form.hidden = false;
      form.elements.endPoint.focus();
    },
  };

  async function patch(changes) {
    const updated = await call('PATCH', `/subscriptions/${selected.id}`, changes);
    await loadSubscriptions();
    if (updated && updated.id) { selected = { ...selected, ...updated }; renderDetail(); }
  }

  const typesOf = (s) => Array.isArray(s.typeFilter) ? s.typeFilter : (s.typeFilter ? [s.typeFilter] : []);
  const typeList = (text) => text.split(',').map((t) => t.trim()).filter(Boolean);

  // A merge patch of what changed: the endpoint, the type filter, the content mode.
  async function saveEdit(event) {
    event.preventDefault();
    const form = $('edit-form');
    const changes = {};
    const endPoint = form.elements.endPoint.value.trim();
    if (endPoint !== selected.endPoint) changes.endPoint = endPoint;
    const types = typeList(form.elements.typeFilter.value);
    if (types.join('\n') !== typesOf(selected).join('\n')) changes.typeFilter = types.length ? types : null;
    if (form.elements.contentMode.value !== (selected.contentMode || 'structured')) changes.contentMode = form.elements.contentMode.value;
    if (!Object.keys(changes).length) { form.hidden = true; say('Nothing changed.'); return; }
    await attempt(async () => {
      await patch(changes);
      form.hidden = true;
      say(changes.endPoint ? 'Saved. The new endpoint is validated again before it receives events.' : 'Saved.');
    }, 'edit-');
  }

  // ---- delivery log ----

  async function loadLog(reset) {
    if (!selected) return;
    const outcome = $('outcome-filter').value;
    const page = reset || !logNext ? await call('GET', `/subscriptions/${selected.id}/deliveries?size=100`) : await call('GET', logNext, undefined, true);
    logNext = page.next ? new URL(page.next, location.href).pathname + new URL(page.next, location.href).search : null;
    const body = $('log').querySelector('tbody');
    if (reset) body.textContent = '';
    for (const a of page.attempts) {
      const row = document.createElement('tr');
      row.dataset.outcome = a.outcome;
      cell(row, 'When', when(a.attemptedAt));
      const id = document.createElement('span');
      id.textContent = a.eventId;
      const again = document.createElement('button');
      again.type = 'button';
      again.className = 'link';
      again.textContent = 'redeliver after';
      again.setAttribute('aria-label', `Redeliver the events after ${a.eventId}`);
      again.addEventListener('click', () => {
        $('redeliver-form').elements.mode.value = 'after';
        modeChanged();
        $('redeliver-after').value = a.eventId;
        $('redeliver-after').focus();
      });
      const both = document.createElement('span');
      both.append(id, ' ', again);
      cell(row, 'Event', both, 'wrap');
      cell(row, 'Attempt', a.probe ? `${a.attempt} (probe)` : String(a.attempt));
      cell(row, 'Outcome', badge(a.outcome, a.outcome === 'delivered' ? 'good' : a.outcome === 'retry' ? 'warn' : 'bad'));
      cell(row, 'Status', a.statusCode ? String(a.statusCode) : '—');
      cell(row, 'Duration', `${a.durationMs} ms`);
      cell(row, 'Error', a.error || '', 'wrap');
      body.appendChild(row);
    }
    filterLog(outcome);
    $('log-more').hidden = !logNext;
  }

  function filterLog(outcome) {
    let shown = 0;
    for (const row of $('log').querySelectorAll('tbody tr')) {
      row.hidden = !!outcome && row.dataset.outcome !== outcome;
      if (!row.hidden) shown++;
    }
    $('log').hidden = shown === 0;
    $('log-empty').hidden = shown !== 0;
  }

  function modeChanged() {
    const mode = $('redeliver-form').elements.mode.value;
    $('after-field').hidden = mode !== 'after';
    $('from-field').hidden = mode !== 'from';
  }

  async function redeliver(event) {
    event.preventDefault();
    const form = $('redeliver-form');
    const mode = form.elements.mode.value;
    let body;
    if (mode === 'after') {
      body = { after: form.elements.after.value.trim() };
    } else {
      const local = form.elements.from.value;
      const time = local ? new Date(local) : null;
      body = { from: time && !isNaN(time) ? time.toISOString() : '' };
    }
    await attempt(async () => {
      const result = await call('POST', `/subscriptions/${selected.id}/redeliver`, body);
      say(result.queued === 0 ? 'No events to redeliver from there.'
        : `${result.queued} event${result.queued === 1 ? '' : 's'} queued again${result.complete ? '' : ' (more remain: redeliver again from the last one)'}.`);
      watchLogUntil = Date.now() + 20000;
    }, 'redeliver-');
  }

  // ---- chart ----

  async function loadChart() {
    if (!selected) return;
    const stats = await call('GET', `/subscriptions/${selected.id}/deliveries/hourly?hours=24`);
    renderChart(stats.buckets);
  }

  function svg(name, attributes) {
    const element = document.createElementNS('http://www.w3.org/2000/svg', name);
    for (const [k, v] of Object.entries(attributes || {})) element.setAttribute(k, v);
    return element;
  }

  function renderChart(buckets) {
    const box = $('chart');
    box.textContent = '';
    const width = 720; const height = 180; const left = 36; const bottom = 24; const top = 8;
    const totals = buckets.map((b) => OUTCOMES.reduce((n, [key]) => n + (b[key] || 0), 0));
    const max = Math.max(1, ...totals);
    const sums = OUTCOMES.map(([key, label]) => `${buckets.reduce((n, b) => n + (b[key] || 0), 0)} ${label.toLowerCase()}`);
    const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Push attempts per hour over the last ${buckets.length} hours: ${sums.join(', ')}.` });
    const step = (width - left) / buckets.length;
    chart.appendChild(svg('line', { x1: left, y1: height - bottom, x2: width, y2: height - bottom, stroke: '#98a2b3' }));
    const maxLabel = svg('text', { x: left - 4, y: top + 10, 'text-anchor': 'end', 'font-size': 11, fill: '#555' });
    maxLabel.textContent = String(max);
    chart.appendChild(maxLabel);
    buckets.forEach((b, i) => {
      let y = height - bottom;
      const x = left + i * step + 2;
      for (const [key, label, color] of OUTCOMES) {
        const n = b[key] || 0;
        if (!n) continue;
        const h = (n / max) * (height - bottom - top);
        y -= h;
        const rect = svg('rect', { x, y, width: Math.max(1, step - 4), height: h, fill: color, 'data-outcome': key });
        const title = svg('title');
        title.textContent = `${new Date(b.hour).toLocaleString()}: ${n} ${label.toLowerCase()}`;
        rect.appendChild(title);
        chart.appendChild(rect);
      }
      if (i % 6 === 0 || i === buckets.length - 1) {
        const last = i === buckets.length - 1;
        const text = svg('text', { x: last ? width : x + step / 2, y: height - 8, 'text-anchor': last ? 'end' : 'middle', 'font-size': 11, fill: '#555' });
        text.textContent = new Date(b.hour).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
        chart.appendChild(text);
      }
    });
    box.appendChild(chart);
    const legend = document.createElement('ul');
    legend.className = 'legend';
    OUTCOMES.forEach(([, label, color], i) => {
      const li = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = color;
      li.append(swatch, `${label}: ${sums[i].split(' ')[0]}`);
      legend.appendChild(li);
    });
    box.appendChild(legend);
  }

  // ---- event analytics ----

  const TYPE_COLORS = ['#0a58ca', '#067647', '#9a6700', '#6941c6', '#b42318', '#0e7490'];

  function analyticsPath(target, days, interval) {
    const to = new Date();
    const from = new Date(to.getTime() - days * 86400000);
    const query = `?interval=${interval}&from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
    const app = /^([a-z0-9-]+)\/([A-Za-z0-9_-]+)$/.exec(target);
    if (app) return { path: `/analytics/app/${app[1]}/${app[2]}${query}`, app: true };
    if (/^urn:altinn:resource:\S+$/.test(target)) return { path: `/analytics/resources/${encodeURIComponent(target)}${query}`, app: false };
    return null;
  }

  async function showAnalytics(event) {
    event.preventDefault();
    const target = $('analytics-target').value.trim();
    const [days, interval] = $('analytics-period').value.split(':');
    const request = analyticsPath(target, Number(days), interval);
    if (!request) {
      $('analytics-target-error').textContent = 'Write an app as org/app (ttd/apps-test) or a resource as its urn (urn:altinn:resource:...).';
      $('analytics-target').setAttribute('aria-invalid', 'true');
      $('analytics-target').focus();
      return;
    }
    $('analytics-result').hidden = true;
    const figures = await call('GET', request.path);
    renderAnalytics(figures, request.app);
    say(`Analytics of ${figures.resource} from ${new Date(figures.from).toLocaleString()} to ${new Date(figures.to).toLocaleString()}.`);
  }

  function renderAnalytics(figures, app) {
    const hourly = figures.interval === 'hour';
    const step = hourly ? 3600000 : 86400000;
    const periods = [];
    for (let t = Date.parse(figures.from); t < Date.parse(figures.to); t += step) periods.push(t);
    const totals = new Map();
    for (const e of figures.events) totals.set(e.type, (totals.get(e.type) || 0) + e.count);
    const types = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a) || a.localeCompare(b));
    const shown = types.slice(0, TYPE_COLORS.length);
    const colorOf = (type) => { const i = shown.indexOf(type); return i < 0 ? '#98a2b3' : TYPE_COLORS[i]; };
    const byPeriod = new Map(periods.map((p) => [p, []]));
    for (const e of figures.events) {
      const slot = byPeriod.get(Date.parse(e.start));
      if (slot) slot.push(e);
    }

    const box = $('analytics-chart');
    box.textContent = '';
    const width = 720; const height = 200; const left = 44; const bottom = 24; const top = 8;
    const max = Math.max(1, ...periods.map((p) => byPeriod.get(p).reduce((n, e) => n + e.count, 0)));
    const total = figures.events.reduce((n, e) => n + e.count, 0);
    const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${total} events per ${figures.interval} over ${periods.length} ${figures.interval}s: ${types.map((t) => `${totals.get(t)} ${t}`).join(', ') || 'none'}.` });
    chart.appendChild(svg('line', { x1: left, y1: height - bottom, x2: width, y2: height - bottom, stroke: '#98a2b3' }));
    const maxLabel = svg('text', { x: left - 4, y: top + 10, 'text-anchor': 'end', 'font-size': 11, fill: '#555' });
    maxLabel.textContent = String(max);
    chart.appendChild(maxLabel);
    const w = (width - left) / Math.max(1, periods.length);
    const label = (t) => hourly ? new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : new Date(t).toLocaleDateString([], { month: 'short', day: 'numeric', timeZone: 'UTC' });
    const every = Math.max(1, Math.ceil(periods.length / 8));
    periods.forEach((p, i) => {
      let y = height - bottom;
      const x = left + i * w + 1;
      for (const e of byPeriod.get(p).sort((a, b) => types.indexOf(a.type) - types.indexOf(b.type))) {
        const h = (e.count / max) * (height - bottom - top);
        y -= h;
        const rect = svg('rect', { x, y, width: Math.max(1, w - 2), height: h, fill: colorOf(e.type), 'data-type': e.type });
        const title = svg('title');
        title.textContent = `${hourly ? new Date(p).toLocaleString() : label(p)}: ${e.count} ${e.type}`;
        rect.appendChild(title);
        chart.appendChild(rect);
      }
      if (i % every === 0) {
        const edge = x + w / 2 > width - 32;
        const text = svg('text', { x: edge ? width : x + w / 2, y: height - 8, 'text-anchor': edge ? 'end' : 'middle', 'font-size': 11, fill: '#555' });
        text.textContent = label(p);
        chart.appendChild(text);
      }
    });
    box.appendChild(chart);
    const legend = document.createElement('ul');
    legend.className = 'legend';
    for (const type of types) {
      const li = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = colorOf(type);
      li.append(swatch, `${type}: ${totals.get(type)}`);
      legend.appendChild(li);
    }
    if (!types.length) { const li = document.createElement('li'); li.textContent = 'No events in this period.'; legend.appendChild(li); }
    box.appendChild(legend);

    const facts = $('analytics-facts');
    facts.textContent = '';
    const fact = (name, value) => { const dt = document.createElement('dt'); dt.textContent = name; const dd = document.createElement('dd'); dd.textContent = value; facts.append(dt, dd); };
    fact('Resource', figures.resource);
    fact('Events', String(total));
    $('analytics-process').hidden = !app;
    if (app) {
      fact('Instances created', String(figures.instancesCreated));
      fact('Instances completed', String(figures.instancesCompleted));
      fact('Days (UTC)', `${figures.fromDay} to ${figures.toDay}`);
      if (figures.completion) fact('Creation to completion', `median ${duration(figures.completion.p50Seconds)}, 90 % within ${duration(figures.completion.p90Seconds)} (${figures.completion.count} ${figures.completion.count === 1 ? 'instance' : 'instances'})`);
      const funnel = $('funnel').querySelector('tbody');
      funnel.textContent = '';
      const most = Math.max(1, ...figures.funnel.map((f) => f.instances));
      for (const f of figures.funnel) {
        const tr = document.createElement('tr');
        const bar = document.createElement('span');
        bar.className = 'meter';
        bar.style.width = `${Math.max(2, Math.round((f.instances / most) * 100))}%`;
        const cell = document.createElement('td');
        cell.appendChild(bar);
        tr.append(textCell(f.task), textCell(String(f.instances)), cell);
        funnel.appendChild(tr);
      }
      $('funnel').hidden = !figures.funnel.length;
      $('funnel-empty').hidden = figures.funnel.length > 0;
      const durations = $('durations').querySelector('tbody');
      durations.textContent = '';
      for (const d of figures.taskDurations) {
        const tr = document.createElement('tr');
        tr.append(textCell(d.task), textCell(String(d.count)), textCell(duration(d.p50Seconds)), textCell(duration(d.p90Seconds)));
        durations.appendChild(tr);
      }
      $('durations').hidden = !figures.taskDurations.length;
      $('durations-empty').hidden = figures.taskDurations.length > 0;
    }
    $('analytics-result').hidden = false;
  }

  function textCell(text) { const td = document.createElement('td'); td.textContent = text; return td; }

  function duration(seconds) {
    if (seconds < 90) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
    if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
    if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
    return `${(seconds / 86400).toFixed(1)} days`;
  }

  // ---- refresh while something is under way ----

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(tick, 1500);
  }

  async function tick() {
    if (!token()) return;
    try {
      if (subscriptions.some((s) => s.validationStatus === 'pending')) await loadSubscriptions();
      if (selected && Date.now() < watchLogUntil) {
        await loadSubscriptions();
        await Promise.all([loadLog(true), loadChart()]);
      }
    } catch { /* shown on the next explicit action */ }
    schedule();
  }

  // ---- start ----

  async function start() {
    $('dev-sign-in').addEventListener('submit', devSignIn);
    $('oidc-button').addEventListener('click', oidcSignIn);
    $('sign-out').addEventListener('click', () => signOut('Signed out.'));
    $('refresh').addEventListener('click', () => attempt(loadSubscriptions));
    $('create-form').addEventListener('submit', create);
    $('close-detail').addEventListener('click', closeDetail);
    for (const [id, action] of Object.entries(actions)) {
      $(id).addEventListener('click', () => attempt(action));
    }
    $('copy-secret').addEventListener('click', copySecret);
    $('hide-secret').addEventListener('click', () => { $('secret-box').hidden = true; $('secret-value').value = ''; });
    $('edit-form').addEventListener('submit', saveEdit);
    $('cancel-edit').addEventListener('click', () => { $('edit-form').hidden = true; });
    $('outcome-filter').addEventListener('change', () => filterLog($('outcome-filter').value));
    $('refresh-log').addEventListener('click', () => attempt(() => Promise.all([loadLog(true), loadChart()])));
    $('log-more').addEventListener('click', () => attempt(() => loadLog(false)));
    $('redeliver-form').addEventListener('submit', redeliver);
    $('analytics-form').addEventListener('submit', (e) => attempt(() => showAnalytics(e), 'analytics-'));
    for (const radio of $('redeliver-form').elements.mode) radio.addEventListener('change', modeChanged);

    await attempt(async () => {
      config = await call('GET', '/portal/config.json', undefined, true);
      api = config.apiBase;
      const params = new URLSearchParams(location.search);
      if (config.oidc && (params.has('code') || params.has('error'))) await completeOidc(params);
      if (token()) await signedIn(); else showSignIn();
    });
  }

  document.addEventListener('DOMContentLoaded', start);
})();
