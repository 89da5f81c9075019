// The console: talks only to the public API with the user's token (kept in sessionStorage,
// never in a URL). Every user-supplied string is inserted as text, never as HTML.
"use strict";

const API = "/api/v1";
const view = document.getElementById("view");
const banner = document.getElementById("banner");
let me = null;            // {name, scope, application_ids} of the signed-in token
let feed = null;          // the running change stream reader
let onScreen = null;      // {kind, id, version} of what the page shows, for the live banner
const ownVersions = new Set();  // "id:version" this page wrote itself: no banner for those

// --- building the page (text only) -------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "onclick" || name === "onsubmit" || name === "oninput") node[name] = value;
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function show(...nodes) {
  view.replaceChildren(...nodes);
  view.focus();
}

function canWrite() {
  return me && (me.scope === "write" || me.scope === "admin");
}

// --- the API -------------------------------------------------------------------------

async function api(method, path, body, headers = {}) {
  const response = await fetch(path.startsWith("/") ? path : `${API}/${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${sessionStorage.getItem("token")}`,
      ...(body === undefined ? {} : {"Content-Type": "application/json"}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (response.status === 401) signOut("Your token was not accepted: sign in again.");
  return {status: response.status, headers: response.headers, data};
}

function nextLink(headers) {
  const link = headers.get("Link");
  const match = link && link.match(/<([^>]+)>;\s*rel="next"/);
  return match ? match[1] : null;
}

function problemText(result) {
  return result.data && result.data.detail ? result.data.detail : `the service answered ${result.status}`;
}

// --- signing in and out --------------------------------------------------------------

function signInView(message) {
  const input = el("input", {type: "password", id: "token", autocomplete: "off", "aria-label": "API token"});
  show(
    el("h1", {}, "Sign in"),
    message ? el("p", {class: "error"}, message) : null,
    el("form", {class: "inline", onsubmit: (event) => {
      event.preventDefault();
      sessionStorage.setItem("token", input.value.trim());
      start();
    }}, input, el("button", {type: "submit"}, "Sign in")),
    el("p", {class: "note"}, "The token stays in this browser tab only (sessionStorage)."),
  );
  input.focus();
}

function signOut(message) {
  sessionStorage.removeItem("token");
  me = null;
  if (feed) feed.abort();
  feed = null;
  document.getElementById("sign-out").hidden = true;
  document.getElementById("who").textContent = "";
  banner.hidden = true;
  signInView(message);
}

async function start() {
  if (!sessionStorage.getItem("token")) return signInView();
  const result = await api("GET", "me");
  if (result.status !== 200) return;
  me = result.data;
  document.getElementById("who").textContent = `${me.name} (${me.scope})`;
  document.getElementById("sign-out").hidden = false;
  follow();
  route();
}

// --- applications --------------------------------------------------------------------

async function applicationsView() {
  onScreen = null;
  const list = el("tbody");
  const filter = el("input", {type: "search", id: "filter", placeholder: "Filter by name", "aria-label": "Filter by name"});
  const more = el("button", {type: "button", class: "secondary", id: "more", hidden: true}, "Load more");
  let next = `${API}/applications?limit=50`;
  const rows = [];

  function render() {
    const wanted = filter.value.toLowerCase();
    list.replaceChildren(...rows.filter((app) => app.name.toLowerCase().includes(wanted)).map((app) => el("tr", {},
      el("td", {}, el("a", {href: `#/applications/${app.id}`}, app.name)),
      el("td", {}, app.version),
      el("td", {}, app.updated_at),
      el("td", {}, el("button", {type: "button", class: "secondary", disabled: !canWrite(),
                                 onclick: () => rename(app)}, "Rename"), " ",
        el("button", {type: "button", class: "danger", disabled: !canWrite(), onclick: () => remove(app)}, "Delete")))));
  }

  async function load() {
    const result = await api("GET", next);
    if (result.status !== 200) return;
    rows.push(...result.data);
    next = nextLink(result.headers);
    more.hidden = !next;
    render();
  }

  async function rename(app) {
    const name = prompt(`New name for the application "${app.name}"`, app.name);
    if (name === null) return;
    const result = await api("PUT", `applications/${app.id}`, {name, comments: app.comments},
                             {"If-Match": `"${app.version}"`});
    if (result.status !== 200) return alert(problemText(result));
    applicationsView();
  }

  async function remove(app) {
    if (!confirm(`Delete the application "${app.name}"? Only an application without configurations can go.`)) return;
    const result = await api("DELETE", `applications/${app.id}`, undefined, {"If-Match": `"${app.version}"`});
    if (result.status !== 204) return alert(problemText(result));
    applicationsView();
  }

  filter.oninput = render;
  more.onclick = load;
  const name = el("input", {type: "text", id: "new-application", placeholder: "New application name",
                            "aria-label": "New application name"});
  const error = el("p", {class: "error"});
  show(
    el("h1", {}, "Applications"),
    filter,
    el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Name"), el("th", {}, "Version"),
                                       el("th", {}, "Updated"), el("th", {}, ""))), list),
    more,
    canWrite() ? el("form", {class: "inline", onsubmit: async (event) => {
      event.preventDefault();
      const result = await api("POST", "applications", {name: name.value});
      if (result.status !== 201) return (error.textContent = problemText(result));
      location.hash = `#/applications/${result.data.id}`;
    }}, name, el("button", {type: "submit", id: "create-application"}, "Create application")) : null,
    error,
  );
  await load();
}

async function applicationView(id) {
  const result = await api("GET", `applications/${id}`);
  if (result.status !== 200) return show(el("p", {class: "error"}, problemText(result)));
  const app = result.data;
  onScreen = {kind: "application", id, version: app.version};
  const list = el("tbody");
  const name = el("input", {type: "text", id: "new-configuration", placeholder: "New configuration name",
                            "aria-label": "New configuration name"});
  const error = el("p", {class: "error"});
  show(
    el("p", {}, el("a", {href: "#/"}, "← Applications")),
    el("h1", {}, app.name),
    app.comments ? el("p", {class: "note"}, app.comments) : null,
    el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Configuration"), el("th", {}, "Version"),
                                       el("th", {}, "Changed by"), el("th", {}, "Updated"))), list),
    canWrite() ? el("form", {class: "inline", onsubmit: async (event) => {
      event.preventDefault();
      const created = await api("POST", "configurations", {application_id: id, name: name.value, config: {}});
      if (created.status !== 201) return (error.textContent = problemText(created));
      ownVersions.add(`${created.data.id}:1`);
      location.hash = `#/configurations/${created.data.id}`;
    }}, name, el("button", {type: "submit", id: "create-configuration"}, "Create configuration")) : null,
    error,
  );
  const configs = await api("GET", `configurations?application_id=${id}&limit=1000`);
  for (const config of configs.data || []) {
    const last = await api("GET", `configurations/${config.id}/revisions?limit=1`);
    list.append(el("tr", {},
      el("td", {}, el("a", {href: `#/configurations/${config.id}`}, config.name)),
      el("td", {}, config.version),
      el("td", {}, last.data && last.data[0] ? last.data[0].changed_by : ""),
      el("td", {}, config.updated_at)));
  }
}

// --- a configuration: edit, conflicts, history ---------------------------------------

function jsonError(text) {
  // The browser's JSON.parse does not always say where: find the first bad character ourselves.
  const at = invalidAt(text);
  if (at !== null) return `not valid JSON at line ${text.slice(0, at).split("\n").length}`;
  const parsed = JSON.parse(text);
  return parsed === null || typeof parsed !== "object" || Array.isArray(parsed) ? "config must be a JSON object" : null;
}

function invalidAt(text) {
  // A small JSON recogniser: the offset of the first character that cannot continue the text, or null.
  let i = 0;
  const space = () => { while (" \t\n\r".includes(text[i]) && i < text.length) i++; };
  const fail = () => { throw i; };
  const literal = (word) => { if (text.startsWith(word, i)) i += word.length; else fail(); };
  function string() {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") i++;
      else if (text.charCodeAt(i) < 32) fail();
      i++;
    }
    if (text[i] !== '"') fail();
    i++;
  }
  function value() {
    space();
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++; space();
      if (text[i] === close) { i++; return; }
      for (;;) {
        if (c === "{") { space(); if (text[i] !== '"') fail(); string(); space(); if (text[i] !== ":") fail(); i++; }
        value(); space();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === close) { i++; return; }
        fail();
      }
    }
    if (c === '"') return string();
    if (c === "t") return literal("true");
    if (c === "f") return literal("false");
    if (c === "n") return literal("null");
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!number) fail();
    i += number[0].length;
  }
  try {
    value(); space();
    return i < text.length ? i : null;
  } catch (offset) {
    return offset;
  }
}

function lineDiff(before, after) {
  // Longest common subsequence of lines; what only `before` has is removed, only `after` added.
  const a = before.split("\n"), b = after.split("\n");
  const table = Array.from({length: a.length + 1}, () => new Array(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const lines = [];
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) { lines.push(["same", "  " + a[i]]); i++; j++; }
    else if (j < b.length && (i === a.length || table[i][j + 1] >= table[i + 1][j])) { lines.push(["added", "+ " + b[j]]); j++; }
    else { lines.push(["removed", "- " + a[i]]); i++; }
  }
  return el("pre", {class: "diff"}, lines.map(([kind, text]) => el("span", {class: kind}, text)));
}

function asText(state) {
  return `name: ${state.name}\ncomments: ${state.comments ?? ""}\n${JSON.stringify(state.config, null, 2)}`;
}

async function configurationView(id) {
  const result = await api("GET", `configurations/${id}`);
  if (result.status !== 200) return show(el("p", {class: "error"}, problemText(result)));
  const config = result.data;
  let opened = config.version;
  onScreen = {kind: "configuration", id, version: opened};
  const name = el("input", {type: "text", id: "name", value: config.name});
  const comments = el("input", {type: "text", id: "comments", value: config.comments ?? ""});
  const text = el("textarea", {id: "config", spellcheck: "false"});
  text.value = JSON.stringify(config.config, null, 2);
  const errors = {name: el("p", {class: "error", id: "name-error"}), comments: el("p", {class: "error", id: "comments-error"}),
                  config: el("p", {class: "error", id: "config-error"})};
  const status = el("p", {class: "note", id: "status"}, `Version ${opened}`);
  const conflict = el("section", {id: "conflict"});
  const history = el("section", {id: "history"});

  function edited() {
    return {name: name.value, comments: comments.value === "" ? null : comments.value, config: JSON.parse(text.value)};
  }

  async function save(version) {
    Object.values(errors).forEach((node) => (node.textContent = ""));
    const problem = jsonError(text.value);
    if (problem) return (errors.config.textContent = problem);
    const body = edited();
    const saved = await api("PUT", `configurations/${id}`, body, {"If-Match": `"${version}"`});
    if (saved.status === 200) {
      ownVersions.add(`${id}:${saved.data.version}`);
      opened = saved.data.version;
      onScreen.version = opened;
      conflict.replaceChildren();
      status.textContent = `Saved: version ${opened}`;
      return loadHistory();
    }
    if (saved.status === 412) return showConflict(body);
    if (saved.status === 422 && saved.data.errors) {
      for (const error of saved.data.errors) (errors[error.loc[1]] || errors.config).textContent = error.msg;
      return;
    }
    status.textContent = problemText(saved);
  }

  async function showConflict(mine) {
    const stored = (await api("GET", `configurations/${id}`, undefined, {"Cache-Control": "no-cache"})).data;
    conflict.replaceChildren(
      el("h2", {}, `Someone saved version ${stored.version} since you opened version ${opened}`),
      el("div", {class: "side-by-side"},
        el("div", {}, el("h3", {}, "Yours"), el("pre", {class: "diff", id: "yours"}, asText(mine))),
        el("div", {}, el("h3", {}, `Stored (version ${stored.version})`), el("pre", {class: "diff", id: "stored"}, asText(stored)))),
      el("h3", {}, "Differences (stored → yours)"),
      lineDiff(asText(stored), asText(mine)),
      el("div", {class: "actions"},
        el("button", {type: "button", id: "reload", class: "secondary", onclick: () => configurationView(id)}, "Reload the stored version"),
        el("button", {type: "button", id: "overwrite", class: "danger", onclick: () => save(stored.version)}, "Overwrite it with yours")));
  }

  async function loadHistory() {
    const revisions = (await api("GET", `configurations/${id}/revisions?limit=100`)).data || [];
    const byVersion = new Map(revisions.map((revision) => [revision.version, revision]));
    const picks = [];
    const comparison = el("div", {id: "comparison"});
    history.replaceChildren(
      el("h2", {}, "History"),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Compare"), el("th", {}, "Version"), el("th", {}, "Change"),
                                         el("th", {}, "Changed by"), el("th", {}, "Changed at"), el("th", {}, ""))),
        el("tbody", {}, revisions.map((revision) => el("tr", {},
          el("td", {}, el("input", {type: "checkbox", "aria-label": `Compare version ${revision.version}`,
                                    class: "pick", value: revision.version, oninput: (event) => {
            if (event.target.checked) picks.push(revision.version);
            else picks.splice(picks.indexOf(revision.version), 1);
            if (picks.length === 2) {
              const [older, newer] = [...picks].sort((x, y) => x - y).map((v) => byVersion.get(v));
              comparison.replaceChildren(el("h3", {}, `Version ${older.version} → version ${newer.version}`),
                                         lineDiff(asText(older), asText(newer)));
            }
          }})),
          el("td", {}, revision.version), el("td", {}, revision.change), el("td", {}, revision.changed_by),
          el("td", {}, revision.changed_at),
          el("td", {}, el("button", {type: "button", class: "secondary restore", disabled: !canWrite(), onclick: async () => {
            const restored = await api("POST", `configurations/${id}/revisions/${revision.version}/restore`, undefined,
                                       {"If-Match": `"${opened}"`});
            if (restored.status !== 200) return (status.textContent = problemText(restored));
            ownVersions.add(`${id}:${restored.data.version}`);
            configurationView(id);
          }}, "Restore")))))),
      comparison);
  }

  show(
    el("p", {}, el("a", {href: `#/applications/${config.application_id}`}, "← Application")),
    el("h1", {}, config.name),
    status,
    el("label", {for: "name"}, "Name"), name, errors.name,
    el("label", {for: "comments"}, "Comments"), comments, errors.comments,
    el("label", {for: "config"}, "Config (JSON)"), text, errors.config,
    el("div", {class: "actions"},
      el("button", {type: "button", id: "save", disabled: !canWrite(), onclick: () => save(opened)}, "Save"),
      el("button", {type: "button", id: "delete", class: "danger", disabled: !canWrite(), onclick: async () => {
        if (!confirm(`Delete the configuration "${config.name}"? Its history stays and it can be restored.`)) return;
        const deleted = await api("DELETE", `configurations/${id}`, undefined, {"If-Match": `"${opened}"`});
        if (deleted.status !== 204) return (status.textContent = problemText(deleted));
        location.hash = `#/applications/${config.application_id}`;
      }}, "Delete")),
    conflict,
    history,
  );
  text.oninput = () => (errors.config.textContent = jsonError(text.value) || "");
  await loadHistory();
}

// --- live: follow the change stream --------------------------------------------------

async function follow() {
  if (feed) feed.abort();
  feed = new AbortController();
  const head = await api("GET", `changes?after=${2 ** 53 - 1}`);
  let after = head.data ? head.data.last_seq : 0;
  try {
    // EventSource cannot send the Authorization header: read the stream with fetch instead.
    const response = await fetch(`${API}/changes/stream?after=${after}`, {
      headers: {Authorization: `Bearer ${sessionStorage.getItem("token")}`}, signal: feed.signal});
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split("\n").find((line) => line.startsWith("data: "));
        if (data && event.includes("event: change")) changed(JSON.parse(data.slice(6)));
      }
    }
  } catch (error) {
    if (error.name === "AbortError") return;
  }
  if (me) setTimeout(follow, 1000);  // the stream ended: follow again
}

function changed(change) {
  if (!onScreen) return;
  const id = onScreen.kind === "configuration" ? change.configuration_id : change.application_id;
  if (id !== onScreen.id || change.version <= onScreen.version) return;
  if (ownVersions.has(`${change.configuration_id}:${change.version}`)) return;
  banner.replaceChildren(
    el("span", {id: "banner-text"}, `${change.changed_by} changed this ${onScreen.kind} (version ${change.version}).`),
    el("button", {type: "button", id: "banner-reload", onclick: () => { banner.hidden = true; route(); }}, "Reload"),
    el("button", {type: "button", class: "secondary", onclick: () => (banner.hidden = true)}, "Keep editing"));
  banner.hidden = false;
}

// --- routing -------------------------------------------------------------------------

function route() {
  banner.hidden = true;
  if (!me) return;
  const [, kind, id] = location.hash.split("/");
  if (kind === "applications" && id) return applicationView(id);
  if (kind === "configurations" && id) return configurationView(id);
  return applicationsView();
}

document.getElementById("sign-out").onclick = () => signOut();
window.addEventListener("hashchange", route);
start();
