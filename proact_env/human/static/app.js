// proact ui: every piece of text from the server or a person is written with textContent, never as markup.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
let sessionId = null;
let browsed = null;
let selectedPolicy = "";

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

async function call(method, url, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || data.detail || `${response.status} ${response.statusText}`);
  return data;
}

async function guarded(action) {
  try {
    showError("");
    await action();
  } catch (err) {
    showError(err.message);
  }
}

function fmt(x, digits = 3) {
  return x === null || x === undefined || Number.isNaN(x) ? "–" : Number(x).toFixed(digits);
}

function termsText(terms) {
  if (!terms) return "";
  return `R_task ${fmt(terms.r_task, 2)} · C_interrupt ${fmt(terms.c_interrupt)} (questions ${fmt(terms.questions)}, ` +
    `reject ${fmt(terms.reject)}, long turn ${fmt(terms.long_turn)}, off topic ${fmt(terms.off_topic)})`;
}

function lostText(solver) {
  if (!solver) return "–";
  return `${fmt(solver.lost_value)} (optimal: ${solver.optimal_action}; Q clarify ${fmt(solver.q_clarify)}, execute ${fmt(solver.q_execute)})`;
}

function reactionText(turn) {
  const meta = turn.meta || {};
  const flags = [];
  if (meta.answered_clarification) flags.push("answered");
  if (meta.reject_signal) flags.push("rejected");
  if (meta.silence) flags.push("silent");
  if (meta.off_topic_flag) flags.push("off topic");
  if (turn.revealed && turn.revealed.length) flags.push("revealed " + turn.revealed.join(", "));
  return flags.join(", ");
}

// -- tabs -------------------------------------------------------------------------------

function showTab(name) {
  $("play").hidden = name !== "play";
  $("browse").hidden = name !== "browse";
  $("tab-play").classList.toggle("active", name === "play");
  $("tab-browse").classList.toggle("active", name === "browse");
}

// -- play ------------------------------------------------------------------------------

async function loadConfig() {
  const config = await call("GET", "/api/config");
  $("instructions").textContent = config.instructions;
  const sides = $("sides");
  config.sides.forEach((side, i) => {
    const label = el("label");
    const input = el("input");
    input.type = "radio";
    input.name = "side";
    input.value = side;
    input.id = `side-${side}`;
    input.checked = i === 0;
    label.append(input, ` the ${side}`);
    sides.append(label);
  });
}

function updateStartButton() {
  $("start-button").disabled = !($("consent").checked && $("participant").value.trim());
}

async function start() {
  const side = document.querySelector("input[name=side]:checked");
  const state = await call("POST", "/api/sessions", { participant: $("participant").value.trim(), side: side ? side.value : "" });
  sessionId = state.session_id;
  $("start").hidden = true;
  $("session").hidden = false;
  render(state);
}

function renderTranscript(state) {
  const list = $("transcript");
  list.replaceChildren();
  for (const turn of state.turns || []) {
    const item = el("li");
    const head = el("div");
    head.append(el("span", turn.action, "badge"));
    if (turn.choice) head.append(el("span", `you: ${turn.choice.replace("_", " ")}`, "badge"));
    item.append(head, el("div", turn.assistant_msg, "msg assistant"));
    item.append(el("div", turn.user_reply ? turn.user_reply : "(no reply)", "msg user"));
    const facts = reactionText(turn);
    item.append(el("div", `reward ${fmt(turn.reward)} · ${termsText(turn.reward_terms)}${facts ? " · " + facts : ""}`, "terms"));
    if (turn.solver) item.append(el("div", `lost value against the optimal action: ${lostText(turn.solver)}`, "terms"));
    list.append(item);
  }
}

function renderBrief(state) {
  const box = $("brief-box");
  box.hidden = !state.brief;
  const list = $("brief");
  list.replaceChildren();
  for (const fact of state.brief || []) {
    const item = el("li", `${fact.key.replace(/_/g, " ")}: ${fact.answer}`);
    if (fact.revealed) item.className = "revealed";
    list.append(item);
  }
}

function render(state) {
  for (const id of ["assistant-controls", "user-controls", "episode-over", "finished"]) $(id).hidden = true;
  if (state.kind === "error") {
    showError(state.error);
    return;
  }
  if (state.kind === "finished") {
    $("session-title").textContent = `Session ${state.session_id}`;
    $("finished").hidden = false;
    $("finished-text").textContent = `All ${state.episodes} episodes of session ${state.session_id} are saved.`;
    $("export").href = `/api/sessions/${encodeURIComponent(sessionId)}/export`;
    return;
  }
  $("session-title").textContent = `Episode ${state.episode + 1} of ${state.episodes} · you play the ${state.side} · session ${state.session_id}`;
  $("query").textContent = state.query;
  renderBrief(state);
  renderTranscript(state);
  if (state.kind === "assistant") {
    $("assistant-controls").hidden = false;
    $("decision-prompt").textContent = state.prompt;
    $("message").value = "";
    for (const id of ["act-clarify", "act-execute"]) $(id).checked = false;
  } else if (state.kind === "user") {
    renderPending(state.pending);
  } else if (state.kind === "episode_over") {
    const o = state.outcome;
    $("episode-over").hidden = false;
    const how = o.success ? "the task was completed" : o.gave_up ? "the user gave up" : "the turns ran out";
    $("outcome").textContent = `${how} after ${o.turns} turns; return ${fmt(o.return)}.`;
    $("next").textContent = state.episode + 1 < state.episodes ? "Next episode" : "Finish";
  }
}

const CHOICE_LABELS = { answer: "Answer", reject: "Reject the question", silence: "Stay silent", off_topic: "Change the subject",
  give_up: "Give up", accept: "Accept", complain: "Complain" };

function renderPending(pending) {
  $("user-controls").hidden = false;
  $("pending-action").textContent = pending.action;
  $("pending-msg").textContent = pending.assistant_msg;
  $("pending-score").textContent = pending.score === null ? "" :
    `The checker scores this solution ${fmt(pending.score, 2)}: ${pending.success ? "it meets every requirement" : "it falls short"}.`;
  const choices = $("reply-choices");
  choices.replaceChildren();
  pending.choices.forEach((choice, i) => {
    const label = el("label");
    const input = el("input");
    input.type = "radio";
    input.name = "choice";
    input.value = choice;
    input.id = `choice-${choice}`;
    input.checked = i === 0;
    label.append(input, " " + (CHOICE_LABELS[choice] || choice));
    choices.append(label);
  });
  const facts = $("facts");
  facts.replaceChildren();
  for (const key of pending.unrevealed) {
    const label = el("label");
    const input = el("input");
    input.type = "checkbox";
    input.value = key;
    input.id = `fact-${key}`;
    label.append(input, " " + key.replace(/_/g, " "));
    facts.append(label);
  }
  $("reply-text").value = "";
  $("too-long").checked = false;
}

async function sendMove() {
  const action = document.querySelector("input[name=action]:checked");
  render(await call("POST", `/api/sessions/${encodeURIComponent(sessionId)}/move`,
    { action: action ? action.value : "", text: $("message").value }));
}

async function sendReply() {
  const choice = document.querySelector("input[name=choice]:checked");
  const revealed = [...document.querySelectorAll("#facts input:checked")].map((x) => x.value);
  render(await call("POST", `/api/sessions/${encodeURIComponent(sessionId)}/reply`, {
    choice: choice ? choice.value : "", text: $("reply-text").value, revealed, too_long: $("too-long").checked }));
}

async function nextEpisode() {
  render(await call("POST", `/api/sessions/${encodeURIComponent(sessionId)}/next`));
}

// -- browse ----------------------------------------------------------------------------

async function openPath() {
  const path = $("browse-path").value.trim();
  browsed = null;  // a file that fails to open leaves nothing of the previous one on screen
  for (const id of ["charts", "episode-list", "episode-detail"]) $(id).hidden = true;
  $("browse-summary").textContent = "";
  browsed = await call("GET", `/api/browse?path=${encodeURIComponent(path)}`);
  $("lost-header").textContent = browsed.kind === "results" ? "regret (V* − return)" : "lost value";
  selectedPolicy = "";
  $("episode-detail").hidden = true;
  const episodes = episodeRows();
  $("browse-summary").textContent = browsed.kind === "results"
    ? `Benchmark results: ${browsed.summary.config.env_id}, ${Object.keys(browsed.summary.policies).length} policies, ${episodes.length} episodes.`
    : `Trajectories: ${episodes.length} episodes.`;
  $("charts").hidden = browsed.kind !== "results";
  if (browsed.kind === "results") drawCharts();
  for (const id of ["filter-persona", "filter-policy", "filter-outcome"]) $(id).value = "";  // a new file: no stale filter
  fillFilters(episodes);
  $("episode-list").hidden = false;
  listEpisodes();
}

function episodeRows() {
  if (!browsed) return [];
  if (browsed.kind === "results") return browsed.episodes.map((r) => ({ ...r, id: `${r.policy}#${r.episode}`, return: r.episode_return, lost_value: r.optimal_value === null ? null : r.optimal_value - r.episode_return, row: r }));
  return browsed.episodes.map((e) => ({ ...e, episode: e.id, turns: e.turns.length, detail: e }));
}

function fillSelect(select, values) {
  const current = select.value;
  select.replaceChildren(el("option", "all"));
  select.firstChild.value = "";
  for (const value of values) {
    const option = el("option", value);
    option.value = value;
    select.append(option);
  }
  select.value = values.includes(current) ? current : "";
}

function fillFilters(rows) {
  const unique = (key) => [...new Set(rows.map((r) => r[key]))].sort();
  fillSelect($("filter-persona"), unique("persona"));
  fillSelect($("filter-policy"), unique("policy"));
  fillSelect($("filter-outcome"), unique("outcome"));
}

function listEpisodes() {
  const persona = $("filter-persona").value, policy = $("filter-policy").value, outcome = $("filter-outcome").value;
  const rows = episodeRows().filter((r) => (!persona || r.persona === persona) && (!policy || r.policy === policy) && (!outcome || r.outcome === outcome));
  const body = $("episodes").querySelector("tbody");
  body.replaceChildren();
  for (const r of rows.slice(0, 500)) {
    const tr = el("tr", null, "clickable");
    for (const cell of [r.episode, r.policy, r.persona, r.outcome, fmt(r.return), r.turns, r.lost_value === null || r.lost_value === undefined ? "–" : fmt(r.lost_value)]) tr.append(el("td", cell));
    tr.addEventListener("click", () => guarded(() => openEpisode(r)));
    body.append(tr);
  }
  $("episode-count").textContent = `${rows.length} episodes${rows.length > 500 ? " (first 500 listed)" : ""}`;
  document.querySelectorAll("svg .point, svg .series").forEach((node) =>
    node.classList.toggle("selected", node.dataset.policy === policy));
}

async function openEpisode(row) {
  let episode = row.detail;
  let note = "";
  if (!episode) {
    episode = await call("GET", `/api/browse/replay?path=${encodeURIComponent(browsed.path)}&policy=${encodeURIComponent(row.policy)}&episode=${row.episode}`);
    note = episode.reproduced ? `Replayed from its seed: the return ${fmt(episode.return)} matches episodes.csv.`
      : `Replayed from its seed, but the return ${fmt(episode.return)} differs from episodes.csv (${fmt(episode.saved_return)}): the code or settings changed since the run.`;
  }
  $("episode-detail").hidden = false;
  $("detail-title").textContent = `Episode ${episode.id} · ${episode.policy} · ${episode.persona} · ${episode.outcome || row.outcome}`;
  $("detail-query").textContent = `Request: ${episode.query}`;
  $("detail-note").textContent = note + (episode.lost_value === null || episode.lost_value === undefined ? "" : ` Lost value over the episode: ${fmt(episode.lost_value)}.`);
  const body = $("turns").querySelector("tbody");
  body.replaceChildren();
  for (const turn of episode.turns) {
    const tr = el("tr");
    tr.append(el("td", turn.decision_point), el("td", turn.action + (turn.choice ? ` (reply: ${turn.choice})` : "")),
      el("td", turn.assistant_msg, "text"), el("td", (turn.user_reply || "(no reply)") + (reactionText(turn) ? `\n[${reactionText(turn)}]` : ""), "text"),
      el("td", `reward ${fmt(turn.reward)}\n${termsText(turn.reward_terms)}`, "text"), el("td", lostText(turn.solver), "text"));
    body.append(tr);
    for (const branch of turn.branches || []) {
      const alt = el("tr");
      alt.append(el("td", `${turn.decision_point}′`), el("td", `${branch.action} (${branch.branch})`), el("td", branch.assistant_msg, "text"),
        el("td", branch.user_reply || "(no reply)", "text"), el("td", `reward ${fmt(branch.reward)}`, "text"), el("td", lostText(branch.solver), "text"));
      body.append(alt);
    }
  }
  $("episode-detail").scrollIntoView();
}

function selectPolicy(policy) {
  $("filter-policy").value = policy;
  listEpisodes();
  $("episode-list").scrollIntoView();
}

function svgNode(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function axes(svg, xs, ys, xLabel, yLabel) {
  const w = +svg.getAttribute("width"), h = +svg.getAttribute("height"), m = { l: 50, r: 15, t: 15, b: 40 };
  const pad = (lo, hi) => (hi - lo < 1e-9 ? [lo - 0.05, hi + 0.05] : [lo - 0.08 * (hi - lo), hi + 0.08 * (hi - lo)]);
  const [x0, x1] = pad(Math.min(...xs), Math.max(...xs)), [y0, y1] = pad(Math.min(...ys), Math.max(...ys));
  const sx = (x) => m.l + ((x - x0) / (x1 - x0)) * (w - m.l - m.r);
  const sy = (y) => h - m.b - ((y - y0) / (y1 - y0)) * (h - m.t - m.b);
  svg.append(svgNode("line", { x1: m.l, y1: h - m.b, x2: w - m.r, y2: h - m.b, stroke: "#999" }));
  svg.append(svgNode("line", { x1: m.l, y1: m.t, x2: m.l, y2: h - m.b, stroke: "#999" }));
  for (let i = 0; i <= 4; i++) {
    const xv = x0 + ((x1 - x0) * i) / 4, yv = y0 + ((y1 - y0) * i) / 4;
    svg.append(svgNode("text", { x: sx(xv), y: h - m.b + 14, "font-size": 10, "text-anchor": "middle" }, xv.toFixed(2)));
    svg.append(svgNode("text", { x: m.l - 5, y: sy(yv) + 3, "font-size": 10, "text-anchor": "end" }, yv.toFixed(2)));
  }
  svg.append(svgNode("text", { x: (w + m.l) / 2, y: h - 6, "font-size": 11, "text-anchor": "middle" }, xLabel));
  svg.append(svgNode("text", { x: 12, y: h / 2, "font-size": 11, "text-anchor": "middle", transform: `rotate(-90 12 ${h / 2})` }, yLabel));
  return { sx, sy };
}

function drawCharts() {
  const policies = Object.entries(browsed.summary.policies);
  const pareto = $("pareto-svg");
  pareto.replaceChildren();
  const { sx, sy } = axes(pareto, policies.map(([, m]) => m.mean_c_interrupt), policies.map(([, m]) => m.mean_r_task),
    "mean C_interrupt (lower is better)", "mean R_task");
  policies.forEach(([spec, m], i) => {
    const dot = svgNode("circle", { cx: sx(m.mean_c_interrupt), cy: sy(m.mean_r_task), r: 7, fill: COLORS[i % COLORS.length], class: "point" });
    dot.dataset.policy = spec;
    dot.append(svgNode("title", {}, `${spec}: R_task ${fmt(m.mean_r_task)}, C_interrupt ${fmt(m.mean_c_interrupt)}, return ${fmt(m.mean_return)}`));
    dot.addEventListener("click", () => selectPolicy(spec));
    const right = sx(m.mean_c_interrupt) > 0.7 * +pareto.getAttribute("width");
    pareto.append(dot, svgNode("text", { x: sx(m.mean_c_interrupt) + (right ? -9 : 9), y: sy(m.mean_r_task) - 6,
      "font-size": 10, "text-anchor": right ? "end" : "start" }, spec));
  });
  const calibration = $("calibration-svg");
  calibration.replaceChildren();
  const scale = axes(calibration, [0, 1], [0, 1], "remaining uncertainty", "ask rate");
  policies.forEach(([spec, m], i) => {
    const cal = m.calibration, edges = cal.bin_edges;
    const points = cal.ask_rate.map((rate, b) => [(edges[b] + edges[b + 1]) / 2, rate]).filter(([, rate]) => rate !== null);
    if (!points.length) return;
    const line = svgNode("polyline", { points: points.map(([x, y]) => `${scale.sx(x)},${scale.sy(y)}`).join(" "), fill: "none",
      stroke: COLORS[i % COLORS.length], "stroke-width": 2, class: "series" });
    line.dataset.policy = spec;
    line.append(svgNode("title", {}, spec));
    line.addEventListener("click", () => selectPolicy(spec));
    const key = svgNode("text", { x: 60, y: 28 + 13 * i, "font-size": 10, fill: COLORS[i % COLORS.length], class: "series" }, spec);
    key.dataset.policy = spec;
    key.addEventListener("click", () => selectPolicy(spec));
    calibration.append(line, key);
    for (const [x, y] of points) {
      const dot = svgNode("circle", { cx: scale.sx(x), cy: scale.sy(y), r: 4, fill: COLORS[i % COLORS.length], class: "point" });
      dot.dataset.policy = spec;
      dot.append(svgNode("title", {}, `${spec}: ask rate ${fmt(y, 2)} at uncertainty ${fmt(x, 2)}`));
      dot.addEventListener("click", () => selectPolicy(spec));
      calibration.append(dot);
    }
  });
  const plots = $("plots");
  plots.replaceChildren();
  for (const name of browsed.plots) {
    const img = el("img");
    img.alt = name;
    img.src = `/api/browse/plot?path=${encodeURIComponent(browsed.path)}&name=${encodeURIComponent(name)}`;
    plots.append(img);
  }
}

// -- wiring ----------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("tab-play").addEventListener("click", () => showTab("play"));
  $("tab-browse").addEventListener("click", () => showTab("browse"));
  $("consent").addEventListener("change", updateStartButton);
  $("participant").addEventListener("input", updateStartButton);
  $("start-button").addEventListener("click", () => guarded(start));
  $("send-move").addEventListener("click", () => guarded(sendMove));
  $("send-reply").addEventListener("click", () => guarded(sendReply));
  $("next").addEventListener("click", () => guarded(nextEpisode));
  $("open").addEventListener("click", () => guarded(openPath));
  for (const id of ["filter-persona", "filter-policy", "filter-outcome"]) $(id).addEventListener("change", listEpisodes);
  guarded(loadConfig);
});
