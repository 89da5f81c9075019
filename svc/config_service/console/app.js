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

function when(iso) {
  // A moment as people read it: relative while recent, the local date and time after; the exact
  // local time on hover (and for screen readers, in the datetime attribute).
  if (!iso) return "never";
  const moment = new Date(iso);
  const seconds = (Date.now() - moment.getTime()) / 1000;
  const exact = moment.toLocaleString(undefined, {dateStyle: "medium", timeStyle: "medium"});
  let text;
  if (seconds < -60) text = moment.toLocaleString(undefined, {dateStyle: "medium", timeStyle: "short"});  // clocks apart
  else if (seconds < 45) text = "just now";
  else if (seconds < 3570) text = `${Math.max(1, Math.round(seconds / 60))} min ago`;
  else if (seconds < 84600) text = `${Math.round(seconds / 3600)} h ago`;
  else text = moment.toLocaleString(undefined, {dateStyle: "medium", timeStyle: "short"});
  return el("time", {datetime: iso, title: exact}, text);
}

function readOnlyNote() {
  // Why the controls are greyed out, said once at the top of each view.
  return canWrite() ? null : el("p", {class: "note read-only", id: "read-only"},
    `Read only: the token ${me.name} has the ${me.scope} scope, so it can look but not change anything. `
    + "Sign in with a token of the write or admin scope to edit.");
}

function show(...nodes) {
  // replaceChildren would write a null (an optional part left out) as the text "null".
  view.replaceChildren(...nodes.filter((node) => node !== null && node !== undefined));
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
      el("td", {}, when(app.updated_at)),
      el("td", {class: "buttons"}, el("button", {type: "button", class: "secondary", disabled: !canWrite(),
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
    if (!confirm(`Delete the application "${app.name}" (version ${app.version})? It leaves the list for good; `
                 + "only an application without configurations can go.")) return;
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
    readOnlyNote(),
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
    readOnlyNote(),
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
      el("td", {}, when(config.updated_at))));
  }
}

// --- a configuration: edit, conflicts, history ---------------------------------------

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function jsonError(text, what = "config") {
  // The browser's JSON.parse does not always say where: find the first bad character ourselves.
  // A schema may also be empty (or null): no schema.
  if (what === "schema" && text.trim() === "") return null;
  const at = invalidAt(text);
  if (at !== null) return `not valid JSON at line ${lineOf(text, at)}`;
  const parsed = JSON.parse(text);
  if (what === "schema") return parsed === null || isObject(parsed) ? null : "the schema must be a JSON object (or empty: no schema)";
  return isObject(parsed) ? null : "config must be a JSON object";
}

function lineOf(text, offset) {
  return text.slice(0, offset).split("\n").length;
}

function invalidAt(text, visit = null) {
  // A small JSON recogniser: the offset of the first character that cannot continue the text, or null.
  // `visit(path, [start, end])` hears of every value, by its path (keys and list indices, as strings)
  // and the span of its key (of the value itself for a list item or the whole document).
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
  function value(path, keySpan) {
    space();
    const start = i;
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++; space();
      if (text[i] === close) i++;
      else {
        for (let index = 0; ; index++) {
          let key = String(index), span = null;
          if (c === "{") {
            space(); if (text[i] !== '"') fail();
            const from = i; string(); span = [from, i];
            if (visit) key = JSON.parse(text.slice(from, i));
            space(); if (text[i] !== ":") fail(); i++;
          }
          value(visit ? [...path, key] : path, span); space();
          if (text[i] === ",") { i++; continue; }
          if (text[i] === close) { i++; break; }
          fail();
        }
      }
    } else if (c === '"') string();
    else if (c === "t") literal("true");
    else if (c === "f") literal("false");
    else if (c === "n") literal("null");
    else {
      const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
      if (!number) fail();
      i += number[0].length;
    }
    if (visit) visit(path, keySpan || [start, i]);
  }
  try {
    value([], null); space();
    return i < text.length ? i : null;
  } catch (offset) {
    return offset;
  }
}

function spansOf(text) {
  // Where each value of a JSON text is, by its path (a later duplicate key wins, as in JSON.parse);
  // null when the text does not parse.
  const spans = new Map();
  const bad = invalidAt(text, (path, span) => spans.set(JSON.stringify(path), span));
  return bad === null ? spans : null;
}

function placeOf(spans, text, parts) {
  // The span and line of a problem's path: its key, or the nearest enclosing value the text has
  // (the service names a key only when it is a plain name: "(field)" stands for any other).
  const known = parts.indexOf("(field)");
  const path = known < 0 ? [...parts] : parts.slice(0, known);
  while (path.length && !spans.has(JSON.stringify(path))) path.pop();
  const [start, end] = spans.get(JSON.stringify(path));
  const lineEnd = text.indexOf("\n", start);
  return {start, end: lineEnd >= 0 && lineEnd < end ? lineEnd : end, line: lineOf(text, start)};
}

function pathText(field, parts, root) {
  // config.db.host, config.tags[1], as the diff names keys; `root` tells an index from a key.
  let path = field, node = root;
  for (const part of parts) {
    if (part === "(field)") { path += ".(field)"; node = undefined; continue; }
    const inList = Array.isArray(node);
    path = step(path, part, inList);
    node = node !== null && typeof node === "object" ? node[part] : undefined;
  }
  return path;
}

function canonical(value) {
  // JSON text with keys sorted: equal for equal documents whatever their key order (jsonb's is its own).
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isObject(value)) {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function jsonEditor(id, text, what, attributes = {}) {
  // A textarea with line numbers beside it. The problems of the last check (each a path inside the
  // document and a message) are listed under it, path and message, and their lines are marked in
  // the gutter; the marks follow their keys while the text is edited (and stay put while it does
  // not parse). Each listed problem's "line N" moves the cursor to its key.
  const area = el("textarea", {id, spellcheck: "false", wrap: "off", "aria-describedby": `${id}-problems`, ...attributes});
  area.value = text;
  const gutter = el("div", {class: "gutter", id: `${id}-gutter`, "aria-hidden": "true"});
  const message = el("p", {class: "error", id: `${id}-error`});
  const list = el("ul", {class: "problems", id: `${id}-errors`});
  const problems = el("div", {id: `${id}-problems`, "aria-live": "polite"}, message, list);
  let found = [];      // [{parts, msg}] of the last check
  let places = [];     // where each is in the text
  let drawn = null;

  function place() {
    if (!found.length) return (places = []);
    const spans = spansOf(area.value);
    if (spans) places = found.map(({parts}) => placeOf(spans, area.value, parts));
  }

  function jump(where) {
    area.focus();
    area.setSelectionRange(where.start, where.end);
    reveal(where.line);
  }

  function reveal(line) {
    const height = parseFloat(getComputedStyle(area).lineHeight) || 19;
    const top = (line - 1) * height;
    if (top < area.scrollTop || top > area.scrollTop + area.clientHeight - 2 * height) area.scrollTop = Math.max(0, top - 2 * height);
    gutter.scrollTop = area.scrollTop;
  }

  function draw() {
    const lines = area.value.split("\n").length;
    const marked = new Set(places.map((where) => where.line));
    const key = `${lines}:${[...marked].join(",")}`;
    if (key !== drawn) {
      drawn = key;
      gutter.replaceChildren(...Array.from({length: lines}, (_, n) => el("span", {class: marked.has(n + 1) ? "mark" : null}, n + 1)));
    }
    gutter.scrollTop = area.scrollTop;
    let parsed;
    try { parsed = found.length ? JSON.parse(area.value) : undefined; } catch { parsed = undefined; }
    list.replaceChildren(...found.map(({parts, msg}, n) => el("li", {},
      places[n] ? el("button", {type: "button", class: "link", onclick: () => jump(places[n])}, `line ${places[n].line}`) : null,
      places[n] ? " " : null, el("code", {}, pathText(what, parts, parsed)), ` ${msg}`)));
    area.setAttribute("aria-invalid", found.length || message.textContent ? "true" : "false");
  }

  area.oninput = () => {
    message.textContent = jsonError(area.value, what) || "";
    place();
    draw();
  };
  area.onscroll = () => (gutter.scrollTop = area.scrollTop);
  draw();
  return {
    area, problems,
    node: el("div", {class: "editor"}, gutter, area),
    set(text) {  // new text (the problems stay, placed on it)
      area.value = text;
      area.oninput();
    },
    say(text) {  // a message on the whole text (a parse error, say)
      message.textContent = text;
      draw();
    },
    mark(problemList) {  // [{parts, msg}]; [] clears
      found = problemList;
      place();
      draw();
      if (places.length) reveal(places[0].line);
    },
    clear() {
      message.textContent = "";
      found = [];
      places = [];
      draw();
    },
  };
}

function step(path, key, inList) {
  // config.db.host, tags[0]; a key that is not a plain name is quoted: config["a.b"]
  if (inList) return `${path}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function flatten(value, path = "", into = new Map()) {
  // Every leaf of a JSON document by its path; an empty object or list is a leaf.
  if (value !== null && typeof value === "object" && Object.keys(value).length) {
    for (const [key, item] of Object.entries(value)) flatten(item, step(path, key, Array.isArray(value)), into);
  } else {
    into.set(path, JSON.stringify(value));
  }
  return into;
}

function changes(before, after) {
  // Key by key: [kind, path, old, new], changed keys paired, in path order; and the unchanged ones.
  const a = flatten(before), b = flatten(after);
  const rows = [], same = [];
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x.localeCompare(y, "en", {numeric: true}));
  for (const path of paths) {
    if (!b.has(path)) rows.push(["removed", path, a.get(path), null]);
    else if (!a.has(path)) rows.push(["added", path, null, b.get(path)]);
    else if (a.get(path) !== b.get(path)) rows.push(["changed", path, a.get(path), b.get(path)]);
    else same.push(path);
  }
  return {rows, same};
}

function keyDiff(before, after) {
  const {rows, same} = changes(before, after);
  const sign = {added: "+", removed: "−", changed: "~"};
  return el("div", {class: "diff"},
    rows.length ? null : el("p", {class: "note"}, "No difference."),
    rows.map(([kind, path, old, now]) => el("div", {class: `row ${kind}`},
      el("span", {class: "sign", "aria-label": kind}, sign[kind]), " ",
      el("code", {class: "path"}, path), " ",
      kind === "added" ? el("code", {class: "new"}, now)
        : kind === "removed" ? el("code", {class: "old"}, old)
        : [el("code", {class: "old"}, old), " → ", el("code", {class: "new"}, now)])),
    same.length ? el("details", {class: "same"}, el("summary", {}, `${same.length} unchanged`),
                     el("p", {}, same.join(", "))) : null);
}

function summary(before, after) {
  // What a restore would change, in words, for its confirmation.
  const {rows} = changes(before, after);
  if (!rows.length) return "nothing changes";
  const shown = rows.slice(0, 8).map(([kind, path, old, now]) =>
    kind === "changed" ? `${path}: ${old} → ${now}` : kind === "added" ? `${path}: added ${now}` : `${path}: removed`);
  return shown.join("\n") + (rows.length > 8 ? `\n… and ${rows.length - 8} more` : "");
}

function comparable(state) {
  // A schema counts only where there is one: "no schema" on both sides is no difference to show.
  return {name: state.name, comments: state.comments ?? null, config: state.config, ...(state.schema ? {schema: state.schema} : {})};
}

function asText(state) {
  return `name: ${state.name}\ncomments: ${state.comments ?? ""}\n${JSON.stringify(state.config, null, 2)}`
    + (state.schema ? `\nschema: ${JSON.stringify(state.schema, null, 2)}` : "");
}

async function configurationView(id) {
  const result = await api("GET", `configurations/${id}`);
  if (result.status !== 200) return show(el("p", {class: "error"}, problemText(result)));
  const config = result.data;
  let opened = config.version;
  onScreen = {kind: "configuration", id, version: opened};
  let schema = config.schema;  // the schema of the version opened (or saved): what "unchanged" means
  const name = el("input", {type: "text", id: "name", value: config.name, "aria-describedby": "name-error"});
  const comments = el("input", {type: "text", id: "comments", value: config.comments ?? "", "aria-describedby": "comments-error"});
  const editor = jsonEditor("config", JSON.stringify(config.config, null, 2), "config");
  const text = editor.area;
  const schemaEditor = jsonEditor("schema", schemaText(schema), "schema", canWrite()
    ? {placeholder: '{"type": "object", "properties": {"port": {"type": "integer"}}, "required": ["port"]}'}
    : {readonly: true});
  const errors = {name: el("p", {class: "error", id: "name-error", "aria-live": "polite"}),
                  comments: el("p", {class: "error", id: "comments-error", "aria-live": "polite"})};
  const status = el("p", {class: "note", id: "status", "aria-live": "polite"}, `Version ${opened}`);
  const conflict = el("section", {id: "conflict"});
  const history = el("section", {id: "history"});
  const schemaSummary = el("span", {id: "schema-summary"});
  const schemaNote = el("p", {class: "note", id: "schema-note"});
  const schemaBox = el("div", {id: "schema-box"},
    el("label", {for: "schema"}, "JSON Schema (draft 2020-12)"), schemaEditor.node, schemaEditor.problems);
  const schemaSection = el("details", {id: "schema-section"}, el("summary", {}, "Schema ", schemaSummary), schemaNote, schemaBox);

  function schemaText(value) {
    return value ? JSON.stringify(value, null, 2) : "";
  }

  function describeSchema() {
    schemaSummary.textContent = schema ? "(the config must fit it)" : "(none)";
    schemaNote.textContent = (schema ? "Every write of this configuration must fit this JSON Schema; Save checks first."
      : "No schema: any JSON object is accepted.")
      + (canWrite() ? " Edit it here as JSON (empty: no schema); Save sends it only when you changed it." : "");
    schemaBox.hidden = !schema && !canWrite();  // a reader has nothing to see when there is none
  }

  function editedSchema() {
    // The schema as edited, or undefined while it equals the one opened: the PUT then leaves
    // `schema` out and the stored one stays (also one someone else set meanwhile).
    const typed = schemaEditor.area.value.trim();
    const value = typed === "" ? null : JSON.parse(typed);
    return canonical(value) === canonical(schema) ? undefined : value;
  }

  function edited() {
    const body = {name: name.value, comments: comments.value === "" ? null : comments.value, config: JSON.parse(text.value)};
    const changedSchema = editedSchema();
    return changedSchema === undefined ? body : {...body, schema: changedSchema};
  }

  function clearProblems() {
    Object.values(errors).forEach((node) => (node.textContent = ""));
    name.removeAttribute("aria-invalid");
    comments.removeAttribute("aria-invalid");
    editor.clear();
    schemaEditor.clear();
  }

  function showProblems(list) {
    // Each {loc, msg} by the field it names: name and comments next to their inputs, config and
    // schema in their editors (listed, their lines marked); anything else said with the config.
    const byEditor = {config: [], schema: []}, general = [];
    for (const problem of list) {
      const [where, field, ...parts] = problem.loc.map(String);
      if (where === "body" && (field === "name" || field === "comments")) {
        const node = errors[field];
        node.textContent = node.textContent ? `${node.textContent}; ${problem.msg}` : problem.msg;
        (field === "name" ? name : comments).setAttribute("aria-invalid", "true");
      } else if (where === "body" && (field === "config" || (field === "schema" && !schemaBox.hidden))) {
        byEditor[field].push({parts, msg: problem.msg});
      } else {
        const label = problem.loc.slice(1).join(".");
        general.push(label ? `${label}: ${problem.msg}` : problem.msg);
      }
    }
    editor.mark(byEditor.config);
    if (general.length) editor.say(general.join("; "));
    schemaEditor.mark(byEditor.schema);
    if (byEditor.schema.length) schemaSection.open = true;
    return `${list.length} ${list.length === 1 ? "problem" : "problems"}, marked below`;
  }

  async function check() {
    // Parse both texts, then ask the service whether it would take them (validate writes nothing).
    // {body, checked} when it would (or could not say: the PUT decides then), else {refused}.
    clearProblems();
    const problem = jsonError(text.value);
    if (problem) {
      editor.say(problem);
      return {refused: `the config: ${problem}`};
    }
    const schemaProblem = jsonError(schemaEditor.area.value, "schema");
    if (schemaProblem) {
      schemaEditor.say(schemaProblem);
      schemaSection.open = true;
      return {refused: `the schema: ${schemaProblem}`};
    }
    const body = edited();
    const question = "schema" in body ? {config: body.config, schema: body.schema} : {config: body.config};
    const answer = await api("POST", `configurations/${id}/validate`, question);
    if (answer.status === 200 && !answer.data.valid) {
      const what = answer.data.errors.some((error) => error.loc[1] === "schema")
        ? "the schema is not one the service accepts" : "the config does not fit the schema";
      return {refused: `${what} (${showProblems(answer.data.errors)})`};
    }
    if (answer.status === 422 && answer.data && answer.data.errors) {
      return {refused: `${problemText(answer)} (${showProblems(answer.data.errors)})`};
    }
    return {body, checked: answer.status === 200};
  }

  async function save(version) {
    const checked = await check();
    if (checked.refused) return (status.textContent = `Not saved: ${checked.refused}.`);
    const {body} = checked;
    const saved = await api("PUT", `configurations/${id}`, body, {"If-Match": `"${version}"`});
    if (saved.status === 200) {
      ownVersions.add(`${id}:${saved.data.version}`);
      opened = saved.data.version;
      onScreen.version = opened;
      schema = saved.data.schema;
      // Left out, the stored schema stayed, maybe another than the one on screen (an overwrite
      // after a conflict): show it, or the next Save would send the old text back as a change.
      if (!("schema" in body)) schemaEditor.set(schemaText(schema));
      describeSchema();
      conflict.replaceChildren();
      status.textContent = `Saved: version ${opened}`;
      return loadHistory();
    }
    if (saved.status === 412) return showConflict(body);
    if (saved.status === 422 && saved.data.errors) {
      status.textContent = `Not saved: ${problemText(saved)} (${showProblems(saved.data.errors)}).`;
      return;
    }
    status.textContent = problemText(saved);
  }

  async function checkOnly() {
    // The same check as Save's, saving nothing; a read token may ask too.
    const checked = await check();
    if (checked.refused) status.textContent = `Does not pass: ${checked.refused}.`;
    else if (!checked.checked) status.textContent = "The service could not check it now.";
    else if ("schema" in checked.body ? checked.body.schema : schema) status.textContent = "Fits the schema (nothing saved).";
    else status.textContent = "No schema: any JSON object fits (nothing saved).";
  }

  async function showConflict(sent) {
    const current = await api("GET", `configurations/${id}`, undefined, {"Cache-Control": "no-cache"});
    if (current.status === 404) {  // deleted meanwhile: its newest revision says by whom
      const newest = ((await api("GET", `configurations/${id}/revisions?limit=1`)).data || [])[0];
      return conflict.replaceChildren(
        el("h2", {}, `${newest ? newest.changed_by : "Someone"} deleted this configuration since you opened version ${opened}`),
        el("p", {class: "note"}, "Nothing was saved. Your text is still in the editor above: copy it before you leave."),
        el("div", {class: "actions"}, el("a", {href: `#/applications/${config.application_id}`}, "← Back to the application")));
    }
    const stored = current.data;
    const mine = {...sent, schema: "schema" in sent ? sent.schema : stored.schema};  // left out: theirs stays
    const revision = (await api("GET", `configurations/${id}/revisions/${stored.version}`)).data;
    const writer = revision && revision.changed_by ? revision.changed_by : "Someone";
    conflict.replaceChildren(
      el("h2", {}, `${writer} saved version ${stored.version} since you opened version ${opened}`),
      el("div", {class: "side-by-side"},
        el("div", {}, el("h3", {}, "Yours"), el("pre", {class: "diff", id: "yours"}, asText(mine))),
        el("div", {}, el("h3", {}, `Stored (version ${stored.version})`), el("pre", {class: "diff", id: "stored"}, asText(stored)))),
      el("h3", {}, "Differences (stored → yours)"),
      keyDiff(comparable(stored), comparable(mine)),
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
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Compare"), el("th", {}, "Version"), el("th", {class: "wide-only"}, "Change"),
                                         el("th", {}, "Changed by"), el("th", {}, "Changed at"), el("th", {}, ""))),
        el("tbody", {}, revisions.map((revision) => el("tr", {},
          el("td", {}, el("input", {type: "checkbox", "aria-label": `Compare version ${revision.version}`,
                                    class: "pick", value: revision.version, oninput: (event) => {
            if (event.target.checked) picks.push(revision.version);
            else picks.splice(picks.indexOf(revision.version), 1);
            if (picks.length === 2) {
              const [older, newer] = [...picks].sort((x, y) => x - y).map((v) => byVersion.get(v));
              comparison.replaceChildren(el("h3", {}, `Version ${older.version} → version ${newer.version}`),
                                         keyDiff(comparable(older), comparable(newer)));
            }
          }})),
          el("td", {}, revision.version), el("td", {class: "wide-only"}, revision.change),
          el("td", {}, revision.changed_by),
          el("td", {}, when(revision.changed_at)),
          el("td", {class: "buttons"}, el("button", {type: "button", class: "secondary restore", disabled: !canWrite(), onclick: async () => {
            const current = byVersion.get(opened) || revisions[0];
            if (!confirm(`Restore version ${revision.version}? It becomes version ${revisions[0].version + 1}, and `
                         + `against what is current:\n${summary(comparable(current), comparable(revision))}`)) return;
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
    readOnlyNote(),
    status,
    el("label", {for: "name"}, "Name"), name, errors.name,
    el("label", {for: "comments"}, "Comments"), comments, errors.comments,
    el("label", {for: "config"}, "Config (JSON)"), editor.node, editor.problems,
    schemaSection,
    el("div", {class: "actions"},
      el("button", {type: "button", id: "save", disabled: !canWrite(), onclick: () => save(opened)}, "Save"),
      el("button", {type: "button", id: "check", class: "secondary", onclick: checkOnly}, "Check"),
      el("button", {type: "button", id: "delete", class: "danger", disabled: !canWrite(), onclick: async () => {
        if (!confirm(`Delete the configuration "${config.name}" (version ${opened})? Clients reading it get 404 `
                     + "from now on. Its history stays in the service, and the API can restore any revision "
                     + "(POST /api/v1/configurations/{id}/revisions/{version}/restore).")) return;
        const deleted = await api("DELETE", `configurations/${id}`, undefined, {"If-Match": `"${opened}"`});
        if (deleted.status !== 204) return (status.textContent = problemText(deleted));
        location.hash = `#/applications/${config.application_id}`;
      }}, "Delete")),
    conflict,
    history,
  );
  describeSchema();
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
