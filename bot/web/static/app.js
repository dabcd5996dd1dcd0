// Signpost web chat. No cookies and no persistent storage: the conversation token lives in
// sessionStorage only. Every element is built with textContent, never as markup.
"use strict";

(function () {
  const KEY = "signpost-token";
  const OFFLINE = [
    "Sorry, I can't reach the chat right now. Your message is still in the box, so you can " +
      "try again in a moment.",
    "In danger right now? Call 999.",
    "To talk to someone now: Childline 0800 1111 (free, 24/7, under 19), Samaritans 116 123 " +
      "(free, 24/7), or text SHOUT to 85258.",
  ];
  const NOT_SENT = [
    { text: "That message wasn't sent. It's still in the box: send it again in a moment. " +
      "In danger right now? Call " },
    { text: "999", href: "tel:999" },
    { text: "." },
  ];
  const meta = document.querySelector('meta[name="signpost-exit-url"]');
  const exitUrl = (meta && meta.content) || "https://www.bbc.co.uk/weather";

  // ------------------------------------------------------------ quick exit

  function quickExit() {
    try { sessionStorage.clear(); } catch (e) { /* storage may be blocked */ }
    document.title = "";
    document.body.className = "blank";
    document.body.replaceChildren();
    // One navigation only: a second replace() would abort the first.
    if (window.top && window.top !== window) {
      try {
        window.top.location.replace(exitUrl); // embedded: leave the partner's page too
        return;
      } catch (e) { /* the partner's page refused: leave the frame at least */ }
    }
    window.location.replace(exitUrl);
  }

  let shifts = [];
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Shift") { shifts = []; return; }
    if (e.repeat) { return; }
    const now = Date.now();
    shifts = shifts.filter(function (t) { return now - t < 2000; });
    shifts.push(now);
    if (shifts.length >= 3) { quickExit(); }
  });

  // ------------------------------------------------------------ talking to the server

  function token() {
    try { return sessionStorage.getItem(KEY); } catch (e) { return null; }
  }

  function setToken(value) {
    try {
      if (value) { sessionStorage.setItem(KEY, value); } else { sessionStorage.removeItem(KEY); }
    } catch (e) { /* without storage the chat still works until the page closes */ }
  }

  async function post(path, body) {
    const res = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!data) { throw new Error("no answer"); }
    return { ok: res.ok, status: res.status, data: data };
  }

  async function ensureToken() {
    if (token()) { return token(); }
    const res = await post("/api/start", {});
    if (res.ok && res.data.token) {
      setToken(res.data.token);
      show(res.data.messages || []);
      return res.data.token;
    }
    show(res.data.messages || []);
    return null;
  }

  // ------------------------------------------------------------ drawing

  const log = document.getElementById("log");

  function line(spans) {
    const p = document.createElement("p");
    (spans || []).forEach(function (s) {
      if (s.href) {
        const a = document.createElement("a");
        a.href = s.href;
        a.textContent = s.text;
        if (/^https?:/.test(s.href)) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
        p.appendChild(a);
      } else {
        p.appendChild(document.createTextNode(s.text));
      }
    });
    return p;
  }

  function card(svc) {
    const div = document.createElement("div");
    div.className = "card";
    const h = document.createElement("h2");
    h.textContent = svc.title;
    div.appendChild(h);
    const dl = document.createElement("dl");
    svc.fields.forEach(function (f) {
      if (f.label) {
        const dt = document.createElement("dt");
        dt.textContent = f.label + ": ";
        dl.appendChild(dt);
      }
      const dd = document.createElement("dd");
      const p = line(f.value);
      while (p.firstChild) { dd.appendChild(p.firstChild); }
      dl.appendChild(dd);
    });
    div.appendChild(dl);
    return div;
  }

  function feedback(turn) {
    const div = document.createElement("div");
    div.className = "feedback";
    const q = document.createElement("p");
    q.textContent = "Did this help?";
    div.appendChild(q);
    [["Yes, it helped", true], ["No, it didn't", false]].forEach(function (pair) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = pair[0];
      b.addEventListener("click", async function () {
        try {
          await post("/api/feedback", { token: token(), turn: turn, helpful: pair[1] });
        } catch (e) { /* feedback is optional */ }
        q.textContent = "Thanks for telling me.";
        div.querySelectorAll("button").forEach(function (x) { x.remove(); });
        q.tabIndex = -1;
        q.focus();
      });
      div.appendChild(b);
    });
    return div;
  }

  function part(p) {
    const div = document.createElement("div");
    div.className = "msg bot" + (p.safety ? " safety" : "");
    div.tabIndex = -1;
    (p.lines || []).forEach(function (l) { div.appendChild(line(l)); });
    (p.services || []).forEach(function (s) { div.appendChild(card(s)); });
    if (p.buttons && p.buttons.length) {
      const row = document.createElement("div");
      row.className = "choices";
      p.buttons.forEach(function (b) {
        const btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.label;
        btn.addEventListener("click", function () {
          if (b.action === "hide") { quickExit(); } else { press(b.label, b.action); }
        });
        row.appendChild(btn);
      });
      div.appendChild(row);
    }
    if (typeof p.feedback === "number") { div.appendChild(feedback(p.feedback)); }
    return div;
  }

  function show(messages) {
    let first = null;
    messages.forEach(function (m) {
      (m.parts || []).forEach(function (p) {
        const el = part(p);
        log.appendChild(el);
        if (!first) { first = el; }
      });
    });
    if (first) { first.scrollIntoView({ block: "nearest" }); }
    return first;
  }

  function mine(text) {
    const div = document.createElement("div");
    div.className = "msg me";
    const label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = "You said: ";
    div.appendChild(label);
    div.appendChild(document.createTextNode(text));
    log.appendChild(div);
  }

  function offline() {
    show([{ parts: [{ kind: "error", lines: OFFLINE.map(function (t) {
      return [{ text: t }];
    }) }] }]);
  }

  // ------------------------------------------------------------ actions

  const input = document.getElementById("message");

  async function sendText(text) {
    mine(text);
    try {
      if (!(await ensureToken())) { return false; }
      const res = await post("/api/send", { token: token(), text: text });
      show(res.data.messages || []);
      if (res.data.status === "forgotten") { log.replaceChildren(); setToken(null); }
      if (!res.ok || res.data.status === "skipped") {
        // Not answered: say so every time, and keep the words in the box to send later.
        show([{ parts: [{ kind: "info", lines: [NOT_SENT] }] }]);
        return false;
      }
      return true;
    } catch (e) {
      offline();
      return false;
    }
  }

  async function press(label, action) {
    mine(label);
    let first = null;
    try {
      if (!(await ensureToken())) { return; }
      const res = await post("/api/send", { token: token(), action: action });
      first = show(res.data.messages || []);
    } catch (e) {
      offline();
    }
    if (first) { first.focus(); } else { input.focus(); }
  }

  document.getElementById("composer").addEventListener("submit", async function (e) {
    e.preventDefault();
    const text = input.value;
    if (!text.trim()) { input.focus(); return; }
    input.value = "";
    const sent = await sendText(text);
    if (!sent && !input.value) { input.value = text; } // nothing lost
    input.focus();
  });

  document.getElementById("talknow").addEventListener("click", async function () {
    if (!document.getElementById("intro").hidden) { await begin(); }
    press("Talk to someone now", "talknow");
  });

  document.getElementById("delete").addEventListener("click", async function () {
    const t = token();
    log.replaceChildren();
    setToken(null);
    let messages = [{ parts: [{ kind: "info", lines: [[{ text: "This chat has been deleted." }]] }] }];
    if (t) {
      try {
        const res = await post("/api/forget", { token: t });
        messages = res.data.messages || messages;
      } catch (e) { /* the log is erased by the retention purge in any case */ }
    }
    const el = show(messages);
    if (el) { el.focus(); }
  });

  document.getElementById("exit").addEventListener("click", quickExit);

  async function begin() {
    document.getElementById("intro").hidden = true;
    document.getElementById("chat").hidden = false;
    try {
      await ensureToken();
    } catch (e) {
      offline();
    }
    input.focus();
  }

  document.getElementById("begin").addEventListener("click", begin);
  if (token()) {
    document.getElementById("intro").hidden = true;
    document.getElementById("chat").hidden = false;
  }
})();
